# The batch workflows of two months on new tables, at two sizes: whether any of them grows
# faster than the tenant.  On the contracts of bench/billing.sh (N monthly contracts x 2
# lines, a new database per size, nothing analysed: every table as new as after a bulk
# load), in order: the billing run of February and its posting, the recognition of
# February, the same for March, a price change of the seats applied to every contract from
# June 1 (rr.apply_price_changes: a new line version each), a dunning run (a policy of four stages: every invoice of
# both months past due), then the expiry of every contract at the end of its term.  Each step is measured once (each changes what the next one finds).  For each
# step, the time at N/10 and at N contracts side by side and their ratio; goal: at most
# 12x for 10x the contracts (a plan that goes quadratic on new tables shows as 50-100x).
# LIFECYCLE_SIZES (default: BENCH_SIZES' first size, else 20,000) is N.
lifecycle_large=${LIFECYCLE_SIZES:-${BENCH_SIZES%% *}}
lifecycle_large=${lifecycle_large:-20000}
lifecycle_small=$((lifecycle_large / 10))
saved_db=$BENCH_DB
saved_repeat=$BENCH_REPEAT
BENCH_DB=bench_lifecycle
BENCH_REPEAT=1
lifecycle_steps=(
    "run_feb|rr.run_billing of February|SELECT count(*) FROM rr.run_billing('2024-02-01')"
    "post_feb|rr.post_invoices of February|SELECT count(*) FROM rr.post_invoices('2024-02-01')"
    "rec_feb|rr.recognize through February|SELECT count(*) FROM rr.recognize('2024-02-29')"
    "run_mar|rr.run_billing of March|SELECT count(*) FROM rr.run_billing('2024-03-01')"
    "post_mar|rr.post_invoices of March|SELECT count(*) FROM rr.post_invoices('2024-03-01')"
    "rec_mar|rr.recognize through March|SELECT count(*) FROM rr.recognize('2024-03-31')"
    "price|rr.apply_price_changes (every contract)|SELECT count(*) FROM rr.apply_price_changes('2024-06-01')"
    "dunning|rr.run_dunning (every invoice past due)|SELECT count(*) FROM rr.run_dunning('2024-04-20')"
    "expire|rr.expire_contracts (every contract)|SELECT count(*) FROM rr.expire_contracts('2025-03-01')")
for n in $lifecycle_small $lifecycle_large; do
    echo "  $n contracts, new tables:"
    billing_db "$n"
    bsql -c "SET rr.tenant = 'bench'" \
         -c "INSERT INTO rr.dunning_policy (tenant_id, code, name, is_default) VALUES ('bench', 'STD', 'Standard', true)" \
         -c "INSERT INTO rr.dunning_stage (tenant_id, policy, stage_no, days_overdue, action) VALUES
                 ('bench', 'STD', 1, 1, 'reminder'), ('bench', 'STD', 2, 15, 'notice'),
                 ('bench', 'STD', 3, 30, 'final_notice'), ('bench', 'STD', 4, 45, 'suspend')" \
         -c "SELECT rr.schedule_price_change('SEAT', 'USD', 13.00, '2024-06-01', 'on_date', '2024-06-01')" >/dev/null
    for s in "${lifecycle_steps[@]}"; do
        IFS='|' read -r key label sql <<<"$s"
        measure "$key$n" "$label" "SET rr.tenant = 'bench'; $sql"
    done
done
printf '  %-44s %12s %12s %8s\n' "step (goal: ratio <= 12)" "$lifecycle_small" "$lifecycle_large" "ratio"
for s in "${lifecycle_steps[@]}"; do
    IFS='|' read -r key label sql <<<"$s"
    printf '  %-44s %9.0f ms %9.0f ms %7.1fx\n' "$label" "${BENCH_MS[$key$lifecycle_small]}" \
        "${BENCH_MS[$key$lifecycle_large]}" "$(echo "${BENCH_MS[$key$lifecycle_large]} / ${BENCH_MS[$key$lifecycle_small]}" | bc -l)"
done
dropdb --if-exists "$BENCH_DB"
BENCH_DB=$saved_db
BENCH_REPEAT=$saved_repeat
