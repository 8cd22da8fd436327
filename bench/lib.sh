# Sourced by bench/run before each benchmark script: measure and compare helpers.

BENCH_REPEAT=${BENCH_REPEAT:-3}
BENCH_DB=${BENCH_DB:-bench}
declare -A BENCH_MS BENCH_HWM

# psql against the benchmark database, quiet and failing on error
bsql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$BENCH_DB" "$@"; }

# peak_anon PID [session]: sample the private (anonymous) resident memory of a backend every
# 200 ms until it goes idle or exits (with "session": until it exits, so across the idle
# moments between a session's statements), and print the peak in kB, then the backend's own
# VmHWM (peak resident set) as last read.  VmHWM also counts the shared buffers the statement
# touched, which grow with the table, not with our code; RssAnon is the backend's private
# memory.
peak_anon() {
    local pid=$1 whole=${2:-} peak=0 hwm=0 v h state
    while [ -r "/proc/$pid/status" ]; do
        read -r v h < <(awk '/^RssAnon:/ {a=$2} /^VmHWM:/ {w=$2} END {print a+0, w+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
        [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
        [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
        if [ -z "$whole" ]; then
            state=$(psql -X -A -t -d "$BENCH_DB" -c "SELECT state FROM pg_stat_activity WHERE pid = $pid" 2>/dev/null)
            [ "$state" = "active" ] || break
        fi
        sleep 0.2
    done
    echo "$peak $hwm"
}

# median of the numbers given
median() {
    printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"
}

# measure KEY LABEL SQL [SETUP]: run SQL BENCH_REPEAT times, each in a new connection
# (after SETUP, untimed, if given), print the median wall time and the largest peak
# private memory of the backend; remember the median under KEY.
measure() {
    local key=$1 label=$2 sql=$3 setup=${4:-} i out times=() peak=0 hwm=0 ms kb h pid tmp
    tmp=$(mktemp)
    for ((i = 0; i < BENCH_REPEAT; i++)); do
        [ -z "$setup" ] || bsql -c "$setup" >/dev/null
        psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$BENCH_DB" \
            -c "SELECT pg_backend_pid()" \
            -c "SELECT ms FROM bench.measure(\$bench\$${sql}\$bench\$)" >"$tmp" &
        local qpid=$!
        pid=""
        while [ -z "$pid" ] && kill -0 "$qpid" 2>/dev/null; do
            sleep 0.05; pid=$(head -n 1 "$tmp")
        done
        kb=0; h=0
        [ -z "$pid" ] || read -r kb h < <(peak_anon "$pid")
        wait "$qpid"
        ms=$(sed -n 2p "$tmp")
        times+=("$ms")
        [ "$kb" -gt "$peak" ] && peak=$kb
        [ "$h" -gt "$hwm" ] && hwm=$h
    done
    rm -f "$tmp"
    ms=$(median "${times[@]}")
    BENCH_MS[$key]=$ms
    BENCH_HWM[$key]=$hwm
    if [ -n "${BENCH_SHOW_HWM:-}" ]; then
        printf '  %-58s %10.1f ms   private %6.1f MB   VmHWM %6.1f MB\n' "$label" "$ms" \
            "$(echo "$peak / 1024" | bc -l)" "$(echo "$hwm / 1024" | bc -l)"
    else
        printf '  %-58s %10.1f ms   peak private memory %6.1f MB\n' "$label" "$ms" "$(echo "$peak / 1024" | bc -l)"
    fi
}

# measure_session SETUP KEY LABEL SQL [KEY LABEL SQL ...]: the statements one after the
# other in one new connection (after SETUP, untimed, in another), as a job that calls them
# in turn runs them, BENCH_REPEAT times: prints each statement's median wall time, then the
# peak private memory and VmHWM of the session (the backend keeps what it has allocated, so
# a later statement's peak is not told apart from an earlier one's); remembers each median
# under its KEY.
measure_session() {
    local setup=$1 keys=() labels=() cmds=() i k tmp qpid pid kb h peak=0 hwm=0
    local -A times
    shift
    while [ $# -ge 3 ]; do
        keys+=("$1"); labels+=("$2")
        cmds+=(-c "SELECT ms FROM bench.measure(\$bench\$${3}\$bench\$)")
        shift 3
    done
    tmp=$(mktemp)
    for ((i = 0; i < BENCH_REPEAT; i++)); do
        [ -z "$setup" ] || bsql -c "$setup" >/dev/null
        psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$BENCH_DB" -c "SELECT pg_backend_pid()" "${cmds[@]}" >"$tmp" &
        qpid=$!
        pid=""
        while [ -z "$pid" ] && kill -0 "$qpid" 2>/dev/null; do
            sleep 0.05; pid=$(head -n 1 "$tmp")
        done
        kb=0; h=0
        [ -z "$pid" ] || read -r kb h < <(peak_anon "$pid" session)
        wait "$qpid"
        for k in "${!keys[@]}"; do
            times[$k]+="$(sed -n "$((k + 2))p" "$tmp") "
        done
        [ "$kb" -gt "$peak" ] && peak=$kb
        [ "$h" -gt "$hwm" ] && hwm=$h
    done
    rm -f "$tmp"
    for k in "${!keys[@]}"; do
        # (word splitting of the times on purpose)
        # shellcheck disable=SC2086
        BENCH_MS[${keys[k]}]=$(median ${times[$k]})
        BENCH_HWM[${keys[k]}]=$hwm
        printf '  %-58s %10.1f ms\n' "${labels[k]}" "${BENCH_MS[${keys[k]}]}"
    done
    printf '  %-58s            private %6.1f MB   VmHWM %6.1f MB\n' "  peak memory of that session" \
        "$(echo "$peak / 1024" | bc -l)" "$(echo "$hwm / 1024" | bc -l)"
}

# ratio LABEL KEY_A KEY_B: print time(A) / time(B)
ratio() {
    printf '  %-58s %10.2fx\n' "$1" "$(echo "${BENCH_MS[$2]} / ${BENCH_MS[$3]}" | bc -l)"
}

# floor_table_sql TABLE [WHERE]: the SQL that keeps the rows of rr.TABLE (those matching
# WHERE) in cp_TABLE and creates floor.TABLE with the same columns and primary key and
# nothing else: the bare write floor's table (schema floor must exist)
floor_table_sql() {
    local t=$1 where=${2:-true}
    echo "DROP TABLE IF EXISTS cp_$t, floor.$t;"
    echo "CREATE UNLOGGED TABLE cp_$t AS SELECT * FROM rr.$t WHERE $where;"
    echo "CREATE TABLE floor.$t (LIKE rr.$t);"
    echo "ALTER TABLE floor.$t ADD PRIMARY KEY ($(psql -X -A -t -d "$BENCH_DB" -c "
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i)
          FROM pg_index x CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY k(att, i)
          JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.att
         WHERE x.indrelid = 'rr.$t'::regclass AND x.indisprimary"));"
    echo "VACUUM ANALYZE cp_$t;"
}

# billing_db N: a new database ($BENCH_DB) with the extension, the catalog and N monthly
# contracts x 2 lines (bench/billing.sh, bench/lifecycle.sh), loaded in bulk (rr.create_contract is the API; this is data set-up), nothing analysed
# billing_tenant_sql TENANT N: the SQL that creates tenant TENANT with the billing
# benchmark's catalog, 1,000 customers and N active monthly contracts of two lines starting
# 2024-01-01 (contract ids 1 to N): for billing_db, and for the tenants of bench/scale_out.sh
# the benchmarks' 1,000 customers C1 to C1000 of tenant TENANT (customers_sql TENANT), and the
# columns every bench tenant's bulk-loaded contracts give (contract_insert)
customers_sql() {
    cat <<SQL
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT '$1', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 1000) i;
SQL
}
contract_insert="INSERT INTO rr.contract (tenant_id, contract_id, customer, template, currency, status, contract_type, start_date,
                         end_date, setup_date, activation_date, billing_period, billing_start, alignment, invoice_to,
                         bill_to, payment_terms_days, grace_period_days, renewal_point_days, refund_policy)"

billing_tenant_sql() {
    cat <<SQL
SET client_min_messages = warning;
SELECT rr.create_tenant('$1', 'Benchmark', 'USD');
SET rr.tenant = '$1';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('$1', 'SEAT', 'Seat', '4000', '2100', '1100'), ('$1', 'SUPPORT', 'Support', '4200', '2100', '1100');
INSERT INTO rr.item_price VALUES ('$1', 'SEAT', 'USD', 12.50), ('$1', 'SUPPORT', 'USD', 99.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity)
VALUES ('$1', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 1000),
       ('$1', 'SUPPORT', 'Support', 'USD', 'SUPPORT', 'postpaid', 1000);
INSERT INTO rr.contract_template (tenant_id, code, name, duration) VALUES ('$1', 'T', 'Monthly, annual term', 1);
$(customers_sql $1)
$contract_insert
SELECT '$1', i, 'C' || (1 + i % 1000), 'T', 'USD', 'active', 'renewable', s, (s + interval '1 year')::date,
       s, s, 'month', 'activation', 'anniversary', 'customer', 'C' || (1 + i % 1000), 30, 0, 0, 'none'
  FROM generate_series(1, $2) i, LATERAL (SELECT date '2024-01-01' AS s) d;
INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                              recurring_price, billing_period)
SELECT '$1', i, l, date '2024-01-01', CASE l WHEN 1 THEN 'SEATS' ELSE 'SUPPORT' END, 1 + i % 50,
       CASE l WHEN 1 THEN 12.50 ELSE 99.00 END, '1 month'
  FROM generate_series(1, $2) i, generate_series(1, 2) l;
SQL
}

# recognition_catalog_sql TENANT: the SQL that creates tenant TENANT with a licence (setup
# fee, recognised at once) and monthly support (recognised daily), both with a standalone
# price, so that every contract is allocated by relative SSP, and 1,000 customers
# recognition_contracts_sql TENANT N FIRST: N active annual contracts from 2024-01-01 with
# those two lines each (contract ids FIRST + 1 to FIRST + N), loaded in bulk without their
# obligations (bench/recognition.sh and the plans tier write those in one batch)
recognition_catalog_sql() {
    cat <<SQL
SET client_min_messages = warning;
SELECT rr.create_tenant('$1', 'Recognition benchmark', 'USD');
SET rr.tenant = '$1';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
VALUES ('$1', 'NOW', 'Immediate', 'immediate', '2100', '4100'),
       ('$1', 'DAILY', 'Evenly by days', 'daily', '2100', '4200');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
VALUES ('$1', 'LIC', 'Licence', '4100', '2100', '1100', 'NOW'),
       ('$1', 'SUP', 'Support', '4200', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price VALUES ('$1', 'LIC', 'USD', 700.00), ('$1', 'SUP', 'USD', 41.67);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, recurring_item, billing_type,
                              max_quantity, standalone_price)
VALUES ('$1', 'LICENCE', 'Licence', 'USD', 'LIC', NULL, 'none', 1000, 1000.00),
       ('$1', 'SUPPORT', 'Support', 'USD', NULL, 'SUP', 'prepaid', 1000, 45.00);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, alignment)
VALUES ('$1', 'T', 'Annual, monthly support', 1, 'calendar');
$(customers_sql $1)
SQL
}
recognition_contracts_sql() {
    cat <<SQL
$contract_insert
SELECT '$1', $3 + i, 'C' || (1 + i % 1000), 'T', 'USD', 'active', 'renewable', s, (s + interval '1 year')::date,
       s, s, 'month', 'activation', 'calendar', 'customer', 'C' || (1 + i % 1000), 30, 0, 0, 'none'
  FROM generate_series(1, $2) i, LATERAL (SELECT date '2024-01-01' AS s) d;
INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                              setup_price, recurring_price, billing_period)
SELECT '$1', $3 + i, l, date '2024-01-01', CASE l WHEN 1 THEN 'LICENCE' ELSE 'SUPPORT' END, 1 + i % 5,
       CASE l WHEN 1 THEN 700.00 END, CASE l WHEN 2 THEN 41.67 END, CASE l WHEN 2 THEN interval '1 month' END
  FROM generate_series(1, $2) i, generate_series(1, 2) l;
SQL
}

# metered_catalog_sql TENANT: the SQL that creates tenant TENANT with a metered contract item
# (API calls: graduated price, 100 included, calendar months) and 1,000 customers
# metered_contracts_sql TENANT N: N active monthly contracts for 2024 with one metered line
# each (contract ids 1 to N)
# metered_tenant_sql TENANT N: both (bench/scale_out.sh; bench/usage.sh uses the parts)
# metered_month_sql TENANT N MONTH: ten usage events per contract in MONTH of 2024, staged
# and merged (rr.merge_usage_staging)
metered_catalog_sql() {
    cat <<SQL
SET client_min_messages = warning;
SELECT rr.create_tenant('$1', 'Metered benchmark', 'USD', 'UTC');
SET rr.tenant = '$1';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('$1', 'CALL', 'API call', '4300', '2100', '1100');
INSERT INTO rr.item_price VALUES ('$1', 'CALL', 'USD', 0.002);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model, included_quantity)
VALUES ('$1', 'API', 'API calls', 'USD', 'CALL', 'postpaid', 'graduated(1000: 0.002, *: 0.001)', 100);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, alignment) VALUES ('$1', 'T', 'Metered', 1, 'calendar');
$(customers_sql $1)
SQL
}
metered_contracts_sql() {
    cat <<SQL
$contract_insert
SELECT '$1', i, 'C' || (1 + i % 1000), 'T', 'USD', 'active', 'renewable', date '2024-01-01', date '2025-01-01',
       date '2024-01-01', date '2024-01-01', 'month', 'activation', 'calendar', 'customer', 'C' || (1 + i % 1000),
       30, 0, 0, 'none'
  FROM generate_series(1, $2) i;
INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                              recurring_price, price_model, billing_period)
SELECT '$1', i, 1, date '2024-01-01', 'API', 1, 0.002, 'graduated(1000: 0.002, *: 0.001)', '1 month'
  FROM generate_series(1, $2) i;
SQL
}
metered_tenant_sql() {
    metered_catalog_sql "$1"
    echo "SET rr.tenant = '$1';"
    metered_contracts_sql "$1" "$2"
}
metered_month_sql() {
    cat <<SQL
SET rr.tenant = '$1';
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key)
SELECT 1 + i % $2, 'API', 1 + i % 97, make_timestamptz(2024, $3, 1 + i % 28, 0, 0, 0, 'UTC'), 'm$3-' || i
  FROM generate_series(1, $2 * 10) i;
SELECT count(*) FROM rr.merge_usage_staging();
SQL
}

billing_db() {
    dropdb --if-exists "$BENCH_DB"
    createdb "$BENCH_DB"
    bsql -c 'CREATE EXTENSION recurring_revenue' -f "$RR_ROOT/bench/lib.sql" >/dev/null
    billing_tenant_sql bench "$1" | bsql >/dev/null
    # no statistics unless the benchmark takes them (autovacuum would analyse between steps)
    bsql -A -t -c "SELECT format('ALTER TABLE %s SET (autovacuum_enabled = off);', c.oid::regclass)
                     FROM pg_class c WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind = 'r'" | bsql >/dev/null
    bsql -c CHECKPOINT >/dev/null
}
