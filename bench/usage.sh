# Usage ingestion and rating: E events for L metered contract lines (10 events per line,
# all in January 2024, each with an idempotency key), side by side with the physical
# limits measured in the same run:
#  - ingestion by COPY: COPY into rr.usage_staging + rr.merge_usage_staging(), against a
#    plain COPY of the same file into an equivalent table (the same columns and a primary
#    key on the idempotency key);
#  - ingestion by the batch function: rr.record_usage(rr.usage_record[]) in batches of
#    10,000 events, against a plain INSERT ... SELECT of the same events into the
#    equivalent table;
#  - rating: rr_internal.usage_charges (what a billing run rates: per line and period, included
#    quantity, graduated tiers, detail) against a plain SQL aggregation of the same events
#    per line and month; and the billing run that writes the charges and invoices.
# BENCH_USAGE_SIZES is a list of EVENTS:LINES pairs; BENCH_USAGE_RATING=0 measures the
# ingestion only.
BENCH_USAGE_SIZES=${BENCH_USAGE_SIZES:-"1000000:100000 10000000:1000000"}
metered_catalog_sql ubench | bsql -q >/dev/null
bsql -q <<'SQL' >/dev/null
SET rr.tenant = 'ubench';
-- the floor of the design: the same two writes per event (an event row in a table shaped
-- like a partition of rr.usage_event, with its primary key, and a key row in a table
-- like rr.usage_key), without validation, time zones or deduplication
CREATE TABLE bench.floor_event (
    tenant_id text NOT NULL, contract_id bigint NOT NULL, line_no integer NOT NULL, usage_date date NOT NULL,
    event_id bigint NOT NULL, quantity numeric NOT NULL, occurred_at timestamptz NOT NULL, idempotency_key text,
    properties jsonb, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, contract_id, line_no, usage_date, event_id));
CREATE TABLE bench.floor_key (LIKE rr.usage_key INCLUDING ALL);
CREATE UNLOGGED TABLE bench.usage_plain (
    tenant_id text NOT NULL DEFAULT 'ubench', contract_id bigint, item text, quantity numeric,
    occurred_at timestamptz, idempotency_key text, PRIMARY KEY (tenant_id, idempotency_key));
SQL
# the plain table is logged like ours (UNLOGGED only to create it fast above)
bsql -q -c "ALTER TABLE bench.usage_plain SET LOGGED" >/dev/null
# the server reads and writes the event file itself (COPY ... TO/FROM a file)
filedir=$(mktemp -d); chmod 0777 "$filedir"; file=$filedir/usage.csv
reset_sql="TRUNCATE rr.usage_event, rr.usage_key, rr.usage_staging, bench.usage_plain, bench.floor_event, bench.floor_key CASCADE;
           SET client_min_messages = warning; SET session_replication_role = replica;
           TRUNCATE rr.payment_application, rr.payment, rr.journal_line, rr.journal_entry, rr.invoice_line, rr.invoice, rr.invoice_draft, rr.charge, rr.billing_run, rr.contract_billing_state, rr.usage_rating_state, rr.usage_arrival CASCADE;
           SET session_replication_role = origin; CHECKPOINT"
# usage_contracts L: the tenant's contracts and billing emptied, then L monthly contracts for
# 2024 with one metered line each (graduated price, 100 included, calendar months); SQL text
usage_contracts() {
    local l=$1
    cat <<SQL
SET client_min_messages = warning; SET session_replication_role = replica;
TRUNCATE rr.usage_event, rr.usage_key, rr.usage_staging, bench.usage_plain, rr.journal_line, rr.journal_entry,
         rr.invoice_line, rr.invoice, rr.invoice_draft, rr.charge, rr.billing_run, rr.contract_billing_state, rr.usage_rating_state, rr.usage_arrival, rr.contract_line, rr.contract CASCADE;
SET session_replication_role = origin;
$(metered_contracts_sql ubench "$l")
VACUUM ANALYZE rr.contract;
VACUUM ANALYZE rr.contract_line;
SQL
}
for size in $BENCH_USAGE_SIZES; do
    e=${size%%:*}; l=${size##*:}
    { usage_contracts "$l"; cat <<SQL; } | bsql -q >/dev/null
-- the events, in a file for COPY and a table for the batch function
DROP TABLE IF EXISTS bench.usage_src;
CREATE UNLOGGED TABLE bench.usage_src AS
SELECT 1 + i % $l AS contract_id, 'API'::text AS item, (1 + i % 97)::numeric AS quantity,
       timestamptz '2024-01-01 00:00+00' + (i % 2678400) * interval '1 second' AS occurred_at,
       'ev-' || i AS idempotency_key, i / 10000 AS batch
  FROM generate_series(1, $e) i;
COPY (SELECT contract_id, item, quantity, occurred_at, idempotency_key FROM bench.usage_src) TO '$file';
SQL
    bsql -q -c "$reset_sql" >/dev/null
    echo " $e events for $l contract lines"
    measure plain$e "plain COPY into an equivalent table" \
        "COPY bench.usage_plain (contract_id, item, quantity, occurred_at, idempotency_key) FROM '$file'" "$reset_sql"
    measure copy$e "COPY into rr.usage_staging + rr.merge_usage_staging()" \
        "SET rr.tenant = 'ubench';
         COPY rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key) FROM '$file';
         SELECT * FROM rr.merge_usage_staging()" "$reset_sql"
    measure insert$e "plain INSERT ... SELECT into the equivalent table" \
        "INSERT INTO bench.usage_plain (contract_id, item, quantity, occurred_at, idempotency_key)
         SELECT contract_id, item, quantity, occurred_at, idempotency_key FROM bench.usage_src" "$reset_sql"
    measure floor$e "the design's floor: the same event and key rows, plainly" \
        "INSERT INTO bench.floor_key (tenant_id, idempotency_key, event_id, contract_id, usage_date)
         SELECT 'ubench', idempotency_key, row_number() OVER (), contract_id, occurred_at::date FROM bench.usage_src;
         INSERT INTO bench.floor_event (tenant_id, contract_id, line_no, usage_date, event_id, quantity, occurred_at, idempotency_key)
         SELECT 'ubench', contract_id, 1, occurred_at::date, row_number() OVER (), quantity, occurred_at, idempotency_key
           FROM bench.usage_src" "$reset_sql"
    measure batch$e "rr.record_usage(rr.usage_record[]), 10,000 events a call" \
        "SET rr.tenant = 'ubench';
         SELECT sum(rr.record_usage(a)) FROM (
             SELECT array_agg(ROW(contract_id, NULL, item, quantity, occurred_at, idempotency_key, NULL)::rr.usage_record) AS a
               FROM bench.usage_src GROUP BY batch) b" "$reset_sql"
    ratio "COPY + merge / plain COPY (goal: <= 1.5)" copy$e plain$e
    ratio "batch function / plain COPY (goal: <= 1.5)" batch$e plain$e
    ratio "batch function / plain INSERT ... SELECT" batch$e insert$e
    ratio "batch function / the design's floor" batch$e floor$e
    [ "${BENCH_USAGE_RATING:-1}" = 1 ] || continue
    # rating: the events in place (from the last batch run), analysed
    bsql -q -c "VACUUM ANALYZE rr.usage_event" >/dev/null
    measure agg$e "plain SQL aggregation per line and month" \
        "SELECT count(*) FROM (SELECT contract_id, line_no, date_trunc('month', usage_date), sum(quantity)
                                 FROM rr.usage_event WHERE tenant_id = 'ubench' GROUP BY 1, 2, 3) x"
    measure rate$e "rr_internal.usage_charges: rated charges with detail" \
        "SELECT count(*) FROM rr_internal.usage_charges('ubench', '2024-02-01')"
    measure run$e "rr.run_billing: rating + charges, invoices, lines" \
        "SET rr.tenant = 'ubench'; SELECT count(*) FROM rr.run_billing('2024-02-01')" \
        "SET client_min_messages = warning; SET session_replication_role = replica;
         TRUNCATE rr.payment_application, rr.payment, rr.journal_line, rr.journal_entry, rr.invoice_line, rr.invoice, rr.invoice_draft, rr.charge, rr.billing_run, rr.contract_billing_state, rr.usage_rating_state, rr.usage_arrival CASCADE;
         SET session_replication_role = origin; CHECKPOINT"
    ratio "rating / plain aggregation (goal: <= 1.5)" rate$e agg$e
    ratio "billing run with usage / plain aggregation" run$e agg$e
done

# The steady state of rating: a tenant records usage every month and bills every month, so a
# run finds months of events and usage charges before it.  BENCH_USAGE_STEADY=L:E: L
# contracts with one metered line, E events a month (spread over the month and the lines)
# loaded month by month from January to November 2024 through rr.usage_staging and
# rr.merge_usage_staging(), each month billed on the first of the next; the runs of
# 2024-02-01 (one month of events) and 2024-12-01 (eleven) are timed BENCH_REPEAT times,
# each rolled back, then run for real: the median wall time and the least backend CPU time
# (utime + stime of /proc/self/stat, which other load on the machine disturbs less).  A run
# should cost what is due, not what was recorded before (before rr.usage_rating_state, every
# run aggregated every event ever recorded).
steady=${BENCH_USAGE_STEADY:-2000:200000}
sl=${steady%%:*}; se=${steady##*:}
echo " steady state: $sl contract lines, $se events a month, billed monthly"
usage_contracts "$sl" | bsql -q >/dev/null
for m in 1 2 3 4 5 6 7 8 9 10 11; do
    bsql -q <<SQL >/dev/null
SET rr.tenant = 'ubench';
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key)
SELECT 1 + i % $sl, 'API', 1 + i % 97,
       make_timestamptz(2024, $m, 1, 0, 0, 0, 'UTC')
       + (i % extract(epoch FROM make_timestamptz(2024, $m, 1, 0, 0, 0, 'UTC') + interval '1 month'
                                - make_timestamptz(2024, $m, 1, 0, 0, 0, 'UTC'))::int) * interval '1 second',
       'm$m-' || i
  FROM generate_series(1, $se) i;
SELECT * FROM rr.merge_usage_staging();
SQL
    run=$(date -d "2024-$m-01 + 1 month" +%F)
    if [ "$m" = 1 ] || [ "$m" = 11 ]; then
        # BENCH_REPEAT times, each rolled back (least CPU, median wall), then for real
        bsql -q -c "ANALYZE" >/dev/null
        walls=(); cpus=()
        for ((r = 0; r < BENCH_REPEAT; r++)); do
            read -r ms cpu < <(psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -d "$BENCH_DB" -c "BEGIN" \
                -c "SELECT * FROM bench.measure_cpu(\$\$SET LOCAL rr.tenant = 'ubench'; SELECT count(*) FROM rr.run_billing('$run')\$\$)" \
                -c "ROLLBACK")
            walls+=("$ms"); cpus+=("$cpu")
        done
        ms=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (BENCH_REPEAT + 1) / 2 ))p")
        cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | head -n 1)
        BENCH_MS[steady$m]=$ms
        bsql -q -c "SET rr.tenant = 'ubench'; SELECT count(*) FROM rr.run_billing('$run')" >/dev/null
        n=$(psql -X -q -A -t -d "$BENCH_DB" -c "SELECT count(*) FROM rr.invoice WHERE tenant_id = 'ubench' AND invoice_date = '$run'")
        printf '  %-58s %10.1f ms   backend CPU %8.1f ms   %s invoices\n' \
            "rr.run_billing of $run, $m month(s) of events" "$ms" "$cpu" "$n"
    else
        bsql -q -c "SET rr.tenant = 'ubench'; SELECT count(*) FROM rr.run_billing('$run')" >/dev/null
    fi
done
ratio "run after eleven months / run after one month" steady11 steady1
rm -rf "$filedir"
