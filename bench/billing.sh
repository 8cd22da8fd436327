# A billing run over N active monthly contracts with two lines each (a prepaid seat line
# and a postpaid support line, anniversary billing from 2024-01-01), billed as of
# 2024-02-01 and posted: 3 charges, 1 invoice, 3 invoice lines, 2 performance obligations,
# 3 revenue schedule lines, 1 journal entry and 2 journal lines per contract.  Side by side,
# in one run:
#  - the product, rr.run_billing then rr.post_invoices in one session (as a billing job
#    calls them, and as the floor writes its rows), on fresh tables (a new database each
#    time: no table, the contracts included, was ever analysed) and warm ones (everything
#    analysed, the billing tables emptied), each BENCH_REPEAT times, and once more each in
#    a new session;
#  - after each of those, right after it, the BARE FLOOR: the very same output rows (copied
#    from the run) written by INSERT ... SELECT into tables with the same columns and
#    primary keys and nothing else, and the ratio of the two (this machine's speed moves by
#    up to 1.8x between minutes, so only measurements seconds apart compare; the median
#    of the fresh ratios and that of the warm ones are the figures);
#  - the same rows written by INSERT ... SELECT into the product's own tables (foreign keys,
#    checks, indexes, triggers), next to the floor: what the schema costs, apart from the
#    code;
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
# Each side of a comparison runs beside the same data: before the product and before the
# floor, the product's billing tables and the floor tables are emptied (reset_sql), so
# that neither runs beside the other's output (a run of 1,000,000
# contracts next to two more copies of its output rows took about a tenth longer;
# bench/README.md).  What stays is each side's own input: the contracts for both, and for
# the floor the copies it reads (cp_*), which a fresh run's new database does not have yet.
rr_empty="SET client_min_messages = warning; SET session_replication_role = replica;
          TRUNCATE rr.payment_application, rr.payment, rr.journal_line, rr.journal_entry, rr.revenue_schedule_line,
                   rr.obligation_charge, rr.performance_obligation, rr.invoice_line, rr.invoice, rr.charge,
                   rr.billing_run, rr.invoice_counter, rr.invoice_number, rr.invoice_draft, rr.fiscal_period,
                   rr.contract_billing_state CASCADE;
          SET session_replication_role = origin"
floor_empty="DO \$e\$ BEGIN
                 IF to_regnamespace('floor') IS NOT NULL THEN
                     EXECUTE (SELECT 'TRUNCATE ' || string_agg(c.oid::regclass::text, ', ')
                                FROM pg_class c WHERE c.relnamespace = 'floor'::regnamespace AND c.relkind = 'r');
                 END IF;
             END \$e\$"
reset_sql="$rr_empty; $floor_empty; CHECKPOINT"
run_sql="SET rr.tenant = 'bench'; SELECT count(*) FROM rr.run_billing('2024-02-01')"
post_sql="SET rr.tenant = 'bench'; SELECT count(*) FROM rr.post_invoices('2024-02-01')"

# billing_db N (bench/lib.sh): the database of N contracts x 2 lines, nothing analysed

# keep_floor N: the rows the last run and posting wrote, copied (cp_*), and the floor tables
# (floor.*: same columns and primary keys, nothing else); sets rows, floor_sql, own_sql and
# floor_reset
keep_floor() {
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
    # (and the rows of the design's other tables, for design_sql)
    for t in contract_billing_state invoice_counter invoice_number; do
        echo "SET client_min_messages = warning; DROP TABLE IF EXISTS cp_$t; CREATE UNLOGGED TABLE cp_$t AS SELECT * FROM rr.$t; VACUUM ANALYZE cp_$t;"
    done | bsql -q >/dev/null
    # (the same emptying as before the product: the billing tables of both sides)
    floor_reset=$reset_sql
}

# design_sql: every row the run and the posting write, in the product's own tables and in
# the order they write them, by INSERT ... SELECT and nothing else: the rows of the floor,
# and those the design adds to them (each invoice written as a draft, then updated when
# posted; its row in the drafts to post, inserted, then deleted; the contracts' billing
# states; the numbers given; the counter; and the two work tables, the invoice lines staged
# for the revenue schedules and the drafts staged for posting, with their shapes).  What the
# product takes beyond this is its computation: what is due, the joins, sorts and
# aggregates, the checks its writers make once per statement.
design_sql="INSERT INTO rr.billing_run SELECT * FROM cp_billing_run;
    INSERT INTO rr.fiscal_period SELECT * FROM cp_fiscal_period;
    INSERT INTO rr.charge SELECT * FROM cp_charge;
    INSERT INTO rr.invoice (tenant_id, invoice_id, doc_type, credits_invoice, reason, run_id, contract_id, customer,
                            currency, series, invoice_date)
    SELECT tenant_id, invoice_id, doc_type, credits_invoice, reason, run_id, contract_id, customer, currency, series,
           invoice_date FROM cp_invoice;
    INSERT INTO rr.invoice_draft (tenant_id, invoice_id, series, invoice_date)
    SELECT tenant_id, invoice_id, series, invoice_date FROM cp_invoice;
    INSERT INTO rr.invoice_line SELECT * FROM cp_invoice_line;
    CREATE TEMP TABLE w_billed (invoice_id bigint, invoice_line_no integer, contract_id bigint, line_no integer,
                                line_from date, kind text, adjustment_seq bigint, obligation_no integer,
                                invoice_date date, service_period daterange, amount numeric, contract_item text,
                                currency char(3));
    INSERT INTO w_billed
    SELECT l.invoice_id, l.line_no, i.contract_id, l.contract_line_no, l.line_effective_from, l.kind, 0,
           l.contract_line_no, i.invoice_date, l.service_period, l.amount, l.contract_item, i.currency
      FROM cp_invoice_line l JOIN cp_invoice i ON i.invoice_id = l.invoice_id
     WHERE l.kind NOT IN ('tax', 'deposit') AND l.amount <> 0;
    INSERT INTO rr.contract_billing_state SELECT * FROM cp_contract_billing_state;
    INSERT INTO rr.performance_obligation SELECT * FROM cp_performance_obligation;
    INSERT INTO rr.revenue_schedule_line SELECT * FROM cp_revenue_schedule_line;
    INSERT INTO rr.invoice_counter SELECT * FROM cp_invoice_counter;
    CREATE TEMP TABLE w_post (invoice_id bigint PRIMARY KEY, k bigint NOT NULL, entry_id bigint NOT NULL,
                              invoice_date date NOT NULL, contract_id bigint, currency char(3), doc_type text,
                              terms integer, period_start date);
    INSERT INTO w_post
    SELECT i.invoice_id, row_number() OVER (ORDER BY i.invoice_date, i.invoice_id), i.journal_entry_id, i.invoice_date,
           i.contract_id, i.currency, i.doc_type, i.due_date - i.invoice_date, e.period_start
      FROM cp_invoice i JOIN cp_journal_entry e ON e.entry_id = i.journal_entry_id
     ORDER BY i.invoice_date, i.invoice_id;
    INSERT INTO rr.journal_entry SELECT * FROM cp_journal_entry;
    UPDATE rr.invoice i SET status = c.status, number = c.number, due_date = c.due_date, posted_at = c.posted_at,
                            journal_entry_id = c.journal_entry_id
      FROM cp_invoice c WHERE i.tenant_id = c.tenant_id AND i.invoice_id = c.invoice_id;
    INSERT INTO rr.invoice_number SELECT * FROM cp_invoice_number;
    DELETE FROM rr.invoice_draft;
    INSERT INTO rr.journal_line SELECT * FROM cp_journal_line"

# run_and_post KEY SETUP LABEL: the run and the posting one after the other in one session
# (as a billing job runs them, and as the floor writes its rows: a new backend maps each
# page of the shared buffers it touches with a page fault of its own, about 11 us on this
# machine); their sum under KEYboth.
run_and_post() {
    local key=$1 setup=$2 label=$3
    measure_session "$setup" ${key}run "$label, in one session: rr.run_billing" "$run_sql" \
                             ${key}post "$label, in that session: rr.post_invoices" "$post_sql"
    BENCH_MS[${key}both]=$(echo "${BENCH_MS[${key}run]} + ${BENCH_MS[${key}post]}" | bc -l)
}

# product_and_floor KEY SETUP LABEL [STEP]: run_and_post, then (untimed) STEP if given, then
# the bare floor right after, and their ratio.  Each ratio is of two measurements a few
# seconds apart: this machine's speed moves by up to 1.8x between minutes (bench/README.md),
# so a floor measured minutes away from the product can move a ratio by more than any
# change of the product.  Appends the ratio to pair_ratios.
product_and_floor() {
    local key=$1 setup=$2 label=$3 step=${4:-} r
    run_and_post "$key" "$setup" "$label"
    [ -z "$step" ] || $step
    measure ${key}floor "BARE FLOOR right after: INSERT ... SELECT of the same $rows rows" "$floor_sql" "$floor_reset"
    r=$(echo "${BENCH_MS[${key}both]} / ${BENCH_MS[${key}floor]}" | bc -l)
    pair_ratios+=("$r")
    printf '  %-58s %10.2fx\n' "$label: run + post / floor right after (goal: <= 4)" "$r"
}

sizes=($BENCH_SIZES)
small=$(( ${sizes[0]} / 10 ))
repeat=$BENCH_REPEAT
BENCH_REPEAT=1
echo " linearity: fresh run + post of $small and ${sizes[0]} contracts, in one session"
billing_db "$small"
run_and_post fs$small "" "fresh"
for n in $BENCH_SIZES; do
    echo " $n contracts x 2 lines, billed as of 2024-02-01 and posted"
    # fresh: a new database each time, no table ever analysed (a fresh table is fresh once),
    # BENCH_REPEAT times; the floor tables made from what it wrote, untimed, and the floor
    # right after; the first one's time is the linearity's
    pair_ratios=()
    for ((i = 1; i <= repeat; i++)); do
        billing_db "$n"
        product_and_floor fs$n$([ "$i" = 1 ] || echo "_$i") "" "fresh ($i of $repeat)" keep_floor
    done
    printf '  %-58s %10.2fx\n' "fresh: median of the $repeat ratios (goal: <= 4)" "$(median "${pair_ratios[@]}")"
    if [ "$n" = "${sizes[0]}" ]; then
        ratio "linearity: fresh run + post, ${n} / ${small} contracts (goal: <= 12)" fs${n}both fs${small}both
    fi

    # warm: everything analysed, the billing tables emptied (their statistics stay); each
    # time with the floor right after, BENCH_REPEAT times
    bsql -q -c "ANALYZE" >/dev/null
    pair_ratios=() warm_both=()
    for ((i = 1; i <= repeat; i++)); do
        product_and_floor w$i$n "$reset_sql" "warm ($i of $repeat)"
        warm_both+=("${BENCH_MS[w$i${n}both]}")
    done
    # (median of the warm pairs' ratios, each product / floor measured a few seconds apart)
    printf '  %-58s %10.2fx\n' "warm: median of the $repeat ratios (goal: <= 4)" "$(median "${pair_ratios[@]}")"

    # each in a new session, as measured until 2026-12-06, with the floor right after
    measure wrun$n "warm, in a new session: rr.run_billing" "$run_sql" "$reset_sql"
    measure wpost$n "warm, in another new session: rr.post_invoices" "$post_sql" "$reset_sql; $run_sql"
    BENCH_MS[wboth$n]=$(echo "${BENCH_MS[wrun$n]} + ${BENCH_MS[wpost$n]}" | bc -l)
    measure wfloor$n "BARE FLOOR right after" "$floor_sql" "$floor_reset"
    ratio "warm, each in a new session: run + post / floor right after" wboth$n wfloor$n

    # the schema's own cost: the same rows into the product's own tables, next to the floor
    measure own$n "the same rows into the product's own tables" "$own_sql" "$reset_sql"
    measure ofloor$n "BARE FLOOR right after" "$floor_sql" "$floor_reset"
    ratio "own tables / floor right after (the schema's own cost)" own$n ofloor$n
    # the design's writes: the same, with the rows the design adds (design_sql), next to the
    # floor; and what the product takes beyond them, its computation
    measure design$n "every row the run and posting write, into the product's tables" "$design_sql" "$reset_sql"
    measure dfloor$n "BARE FLOOR right after" "$floor_sql" "$floor_reset"
    ratio "the design's writes / floor right after" design$n dfloor$n
    compute=$(echo "$(median "${warm_both[@]}") - ${BENCH_MS[design$n]}" | bc -l)
    printf '  %-58s %10.1f ms   %6.2fx the floor\n' "the computation: warm run + post (median) - these writes" \
        "$compute" "$(echo "$compute / ${BENCH_MS[dfloor$n]}" | bc -l)"
    printf '  %-58s %10.0f rows/s\n' "rows written per second, warm run + post in one session" \
        "$(echo "$rows / (${BENCH_MS[w1${n}both]} / 1000)" | bc -l)"

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
BENCH_REPEAT=$repeat
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
