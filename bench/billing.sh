# A billing run over N active monthly contracts with two lines each (a prepaid seat line
# and a postpaid support line, anniversary billing from 2024-01-01), billed as of
# 2024-02-01 and posted: 3 charges, 1 invoice, 3 invoice lines, 2 performance obligations,
# 3 revenue schedule lines, 1 journal entry and 2 journal lines per contract.  Side by side,
# in one run and one database per size:
#  - the product, rr.run_billing + rr.post_invoices, on fresh tables (a new database: no
#    table, the contracts included, was ever analysed) and warm ones (everything analysed,
#    the billing tables emptied);
#  - the BARE FLOOR: the very same output rows (copied from the run) written by
#    INSERT ... SELECT into tables with the same columns and primary keys and nothing else,
#    measured twice (before and after the next step) and every ratio printed against both;
#  - the same rows written by INSERT ... SELECT into the product's own tables (foreign keys,
#    checks, indexes, triggers): what the schema costs, apart from the code;
#  - the breakdown of that cost: each foreign key and trigger of each table, as EXPLAIN
#    ANALYZE reports it for the same inserts.
# And linearity: the fresh run + post at N/10 and N contracts for the first size (default
# 2,000 and 20,000; goal: at most 12x for 10x the contracts); and the steady state, for the
# first size: the run, posting and recognition of one more month after ten months, next to
# the first ones.
# BENCH_SIZES defaults to 20,000 and 100,000 contracts (1,000,000 works: about ten times
# the time of 100k).  Peak memory: the backend's private memory and its VmHWM.
BENCH_SIZES=${BENCH_SIZES:-"20000 100000"}
BENCH_SHOW_HWM=1
saved_db=$BENCH_DB
BENCH_DB=bench_billing

# tables the run and the posting write, in the order their rows can be inserted
billing_tables="billing_run fiscal_period charge journal_entry invoice invoice_line performance_obligation revenue_schedule_line journal_line"
reset_sql="SET client_min_messages = warning; SET session_replication_role = replica;
           TRUNCATE rr.payment_application, rr.payment, rr.journal_line, rr.journal_entry, rr.revenue_schedule_line,
                    rr.obligation_charge, rr.performance_obligation, rr.invoice_line, rr.invoice, rr.charge,
                    rr.billing_run, rr.invoice_counter, rr.invoice_number, rr.invoice_draft, rr.fiscal_period,
                    rr.contract_billing_state CASCADE;
           SET session_replication_role = origin; CHECKPOINT"
run_sql="SET rr.tenant = 'bench'; SELECT count(*) FROM rr.run_billing('2024-02-01')"
post_sql="SET rr.tenant = 'bench'; SELECT count(*) FROM rr.post_invoices('2024-02-01')"

# billing_db N (bench/lib.sh): the database of N contracts x 2 lines, nothing analysed

# the fresh run and posting of N contracts (one measurement each: a fresh table is fresh once)
fresh() {
    local n=$1 saved=$BENCH_REPEAT
    BENCH_REPEAT=1
    billing_db "$n"
    measure frun$n "fresh: rr.run_billing" "$run_sql"
    measure fpost$n "fresh: rr.post_invoices" "$post_sql"
    BENCH_MS[fboth$n]=$(echo "${BENCH_MS[frun$n]} + ${BENCH_MS[fpost$n]}" | bc -l)
    BENCH_REPEAT=$saved
}

sizes=($BENCH_SIZES)
small=$(( ${sizes[0]} / 10 ))
echo " linearity: fresh run + post of $small and ${sizes[0]} contracts"
fresh "$small"
for n in $BENCH_SIZES; do
    echo " $n contracts x 2 lines, billed as of 2024-02-01 and posted"
    fresh "$n"
    if [ "$n" = "${sizes[0]}" ]; then
        ratio "linearity: fresh run + post, ${n} / ${small} contracts (goal: <= 12)" fboth$n fboth$small
    fi

    # warm: everything analysed, the billing tables emptied (their statistics stay)
    bsql -q -c "ANALYZE" >/dev/null
    bsql -q -c "$reset_sql" >/dev/null
    measure wrun$n "warm: rr.run_billing" "$run_sql" "$reset_sql"
    measure wpost$n "warm: rr.post_invoices" "$post_sql" "$reset_sql; $run_sql"
    BENCH_MS[wboth$n]=$(echo "${BENCH_MS[wrun$n]} + ${BENCH_MS[wpost$n]}" | bc -l)

    # what the run and the posting wrote, kept; the floor tables: same columns and
    # primary keys, nothing else
    {
        echo "SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS floor;"
        for t in $billing_tables; do floor_table_sql "$t"; done
    } | bsql -q >/dev/null
    rows=$(psql -X -A -t -d "$BENCH_DB" -c "SELECT $(for t in $billing_tables; do printf '(SELECT count(*) FROM cp_%s) + ' "$t"; done) 0")
    floor_sql="" own_sql=""
    for t in $billing_tables; do
        floor_sql+="INSERT INTO floor.$t SELECT * FROM cp_$t; "
        own_sql+="INSERT INTO rr.$t SELECT * FROM cp_$t; "
    done
    floor_reset="TRUNCATE $(echo $billing_tables | sed 's/\([a-z_]*\)/floor.\1/g; s/ /, /g'); CHECKPOINT"
    # (the floor twice, before and after the own tables: the same statements have taken
    # 37 to 52 s at 1,000,000 contracts in different runs on this machine, so one
    # measurement of the floor can move the ratios by more than a change of the product;
    # each ratio is printed against both)
    measure floor$n "BARE FLOOR: INSERT ... SELECT of the same $rows rows" "$floor_sql" "$floor_reset"
    measure own$n "the same rows into the product's own tables" "$own_sql" "$reset_sql"
    measure floorb$n "BARE FLOOR again, after the own tables" "$floor_sql" "$floor_reset"
    ratio "fresh: run + post / bare floor (goal: <= 4)" fboth$n floor$n
    ratio "fresh: run + post / bare floor measured again" fboth$n floorb$n
    ratio "warm: run + post / bare floor (goal: <= 4)" wboth$n floor$n
    ratio "warm: run + post / bare floor measured again" wboth$n floorb$n
    ratio "own tables / bare floor (the schema's own cost)" own$n floor$n
    ratio "own tables / bare floor measured again" own$n floorb$n
    printf '  %-58s %10.0f rows/s\n' "rows written per second, warm run + post" \
        "$(echo "$rows / (${BENCH_MS[wboth$n]} / 1000)" | bc -l)"

    # the breakdown: each foreign key and trigger of the billing tables, for the same rows
    # into the product's tables (EXPLAIN ANALYZE times every trigger, foreign keys included)
    bsql -q -c "$reset_sql" >/dev/null
    echo "  cost of the schema, per table: the insert into the floor table, into ours, and each foreign key or trigger"
    for t in $billing_tables; do
        bsql -q -c "TRUNCATE floor.$t" >/dev/null
        psql -X -A -t -d "$BENCH_DB" -v ON_ERROR_STOP=1 \
            -c "EXPLAIN (ANALYZE, FORMAT JSON) INSERT INTO floor.$t SELECT * FROM cp_$t" \
            -c "EXPLAIN (ANALYZE, FORMAT JSON) INSERT INTO rr.$t SELECT * FROM cp_$t" \
          | python3 -c '
import json, sys
t = sys.argv[1]
docs = json.JSONDecoder()
text = sys.stdin.read().strip()
plans, pos = [], 0
while pos < len(text):
    obj, end = docs.raw_decode(text, pos)
    plans.append(obj[0]); pos = end
    while pos < len(text) and text[pos].isspace(): pos += 1
floor, own = plans
rows = own["Plan"].get("Actual Rows", 0) or sum(p.get("Actual Rows", 0) for p in own["Plan"].get("Plans", []))
print("    %-24s %8d rows   floor %9.1f ms   ours %9.1f ms" % (t, rows, floor["Execution Time"], own["Execution Time"]))
for tr in sorted(own.get("Triggers", []), key=lambda x: -x["Time"]):
    print("      %-52s %9.1f ms  %8d calls" % (tr.get("Constraint Name") or tr["Trigger Name"], tr["Time"], tr["Calls"]))
' "$t"
    done
done
bsql -q -c "SET client_min_messages = warning; DROP SCHEMA floor CASCADE" >/dev/null

# The steady state, for the first size: a tenant bills every month, so a run finds months
# of history billed before it.  The contracts billed and posted month by month from
# 2024-02-01 to 2024-11-01 (ten runs), everything analysed, then the run and the posting of
# 2024-12-01, next to the warm first run and posting of the same contracts, and the
# recognition of November (ten months recognised before) next to that of January: what
# they read should grow with what is due, not with the history (before
# rr.contract_billing_state, every run recomputed every period since the contracts started).
# BILLING_STEADY=0 leaves it out (at 1,000,000 contracts it would bill and post ten months).
steady_state() {
    local n=${sizes[0]} saved
    echo " steady state: $n contracts with ten months billed and posted, then one more month"
    billing_db "$n"
    saved=$BENCH_REPEAT
    BENCH_REPEAT=1
    for m in 02 03 04 05 06 07 08 09 10 11; do
        bsql -q -c "SET rr.tenant = 'bench'; SELECT count(*) FROM rr.run_billing('2024-$m-01');
                    SELECT count(*) FROM rr.post_invoices('2024-$m-01')" >/dev/null
        if [ $m = 02 ]; then
            # recognition of the first month (January's lines of both lines of every contract),
            # on analysed tables, for the steady state's recognition below
            bsql -q -c "ANALYZE" >/dev/null
            measure hrec1$n "rr.recognize of 2024-01-31, the first month" \
                "SET rr.tenant = 'bench'; SELECT count(*) FROM rr.recognize('2024-01-31')"
        fi
    done
    bsql -q -c "SET rr.tenant = 'bench'; SELECT count(*) FROM rr.recognize('2024-10-31')" >/dev/null
    bsql -q -c "ANALYZE" >/dev/null
    measure hrec11$n "rr.recognize of 2024-11-30, ten months recognised before" \
        "SET rr.tenant = 'bench'; SELECT count(*) FROM rr.recognize('2024-11-30')"
    measure hrun$n "rr.run_billing of 2024-12-01, ten months billed before" \
        "SET rr.tenant = 'bench'; SELECT count(*) FROM rr.run_billing('2024-12-01')"
    measure hpost$n "rr.post_invoices of 2024-12-01, ten months posted before" \
        "SET rr.tenant = 'bench'; SELECT count(*) FROM rr.post_invoices('2024-12-01')"
    BENCH_REPEAT=$saved
    printf '  %-58s %10s\n' "charges billed before it; by it" \
        "$(psql -X -A -t -d "$BENCH_DB" -c "SELECT count(*) FILTER (WHERE due_date < '2024-12-01') || '; ' || count(*) FILTER (WHERE due_date = '2024-12-01') FROM rr.charge")"
    ratio "run after ten months / warm first run of the same contracts" hrun$n wrun$n
    ratio "posting after ten months / warm first posting" hpost$n wpost$n
    ratio "recognition of a month after ten / of the first month" hrec11$n hrec1$n
}
if [ "${BILLING_STEADY:-1}" = 0 ]; then
    echo " steady state: left out (BILLING_STEADY=0)"
else
    steady_state
fi
BENCH_DB=$saved_db
dropdb --if-exists bench_billing
