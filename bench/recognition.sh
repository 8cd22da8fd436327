# Revenue recognition: (1) the obligations, SSP allocation and 12-month revenue schedules
# of N annual contracts with two lines each (a licence and monthly support, allocated by
# relative SSP: every contract needs rr.allocate), as contract activation writes them
# (rr_internal.create_obligations over the batch); (2) a recognition run posting one month of
# those schedules (one journal entry per contract: revenue, deferred revenue, unbilled
# receivable or contract asset).  Each side by side with the physical limit: a plain
# INSERT ... SELECT of the very same rows (copied from a run) into the same tables, with
# the same keys, constraints and triggers (and, for the run, the same UPDATE of the lines
# it posts).  BENCH_SIZES defaults to 100,000 contracts; 1,000,000 works too (about ten
# times the time: BENCH_SIZES="100000 1000000").  One measurement per size unless
# BENCH_REPEAT is set: each builds millions of rows.
RECOGNITION_SIZES=${BENCH_SIZES:-100000}
saved_repeat=$BENCH_REPEAT
BENCH_REPEAT=${RECOGNITION_REPEAT:-1}
recognition_catalog_sql rbench | bsql -q >/dev/null
# what activation and a run write, removed (history triggers off for this session only)
clear_sql="SET client_min_messages = warning; SET session_replication_role = replica;
           DELETE FROM rr.journal_line WHERE tenant_id = 'rbench';
           DELETE FROM rr.journal_entry WHERE tenant_id = 'rbench';
           TRUNCATE rr.revenue_schedule_line, rr.obligation_charge, rr.progress_entry, rr.performance_obligation, rr.recognition_run CASCADE;
           DELETE FROM rr.fiscal_period WHERE tenant_id = 'rbench';
           SET session_replication_role = origin; CHECKPOINT"
unpost_sql="SET client_min_messages = warning; SET session_replication_role = replica;
            DELETE FROM rr.journal_line WHERE tenant_id = 'rbench';
            DELETE FROM rr.journal_entry WHERE tenant_id = 'rbench';
            UPDATE rr.revenue_schedule_line SET status = 'open', run_id = NULL, entry_id = NULL,
                   posted_period = NULL, posted_on = NULL WHERE status = 'posted';
            TRUNCATE rr.recognition_run CASCADE;
            SET session_replication_role = origin; ANALYZE rr.revenue_schedule_line; CHECKPOINT"
for n in $RECOGNITION_SIZES; do
    bsql -q <<SQL >/dev/null
$clear_sql;
SET client_min_messages = warning; SET session_replication_role = replica;
DELETE FROM rr.contract_line WHERE tenant_id = 'rbench';
DELETE FROM rr.contract WHERE tenant_id = 'rbench';
SET session_replication_role = origin;
-- contracts loaded in bulk (rr.create_contract is the API; this is data set-up)
$(recognition_contracts_sql rbench "$n" 10000000)
VACUUM ANALYZE rr.contract;
VACUUM ANALYZE rr.contract_line;
SQL
    bsql -q -c "$clear_sql" >/dev/null
    echo " $n contracts x 2 lines (licence + 12 months of support, allocated by SSP)"
    measure sched$n "rr_internal.create_obligations: obligations, allocation, schedules" \
        "SET rr.tenant = 'rbench'; SELECT rr_internal.create_obligations('rbench', (SELECT array_agg(contract_id) FROM rr.contract WHERE tenant_id = 'rbench'))" \
        "$clear_sql"
    bsql -q <<'SQL' >/dev/null
DROP TABLE IF EXISTS cp_obl, cp_charge, cp_sched;
CREATE UNLOGGED TABLE cp_obl AS SELECT * FROM rr.performance_obligation;
CREATE UNLOGGED TABLE cp_charge AS SELECT * FROM rr.obligation_charge;
CREATE UNLOGGED TABLE cp_sched AS SELECT * FROM rr.revenue_schedule_line;
ANALYZE rr.revenue_schedule_line;
SQL
    rows=$(psql -X -A -t -d bench -c "SELECT (SELECT count(*) FROM cp_obl) + (SELECT count(*) FROM cp_charge)
                                             + (SELECT count(*) FROM cp_sched)")
    measure slim$n "physical limit: INSERT ... SELECT of the same $rows rows" \
        "INSERT INTO rr.performance_obligation SELECT * FROM cp_obl;
         INSERT INTO rr.obligation_charge SELECT * FROM cp_charge;
         INSERT INTO rr.revenue_schedule_line SELECT * FROM cp_sched" "$clear_sql"
    ratio "schedules / physical limit (goal: <= 1.5)" sched$n slim$n
    # (2) one month posted: restore the schedules, time the run
    bsql -q -c "$clear_sql" -c "INSERT INTO rr.performance_obligation SELECT * FROM cp_obl;
                                INSERT INTO rr.obligation_charge SELECT * FROM cp_charge;
                                INSERT INTO rr.revenue_schedule_line SELECT * FROM cp_sched;
                                ANALYZE rr.revenue_schedule_line" >/dev/null
    measure rec$n "rr.recognize: January posted (entries, lines, line status)" \
        "SET rr.tenant = 'rbench'; SELECT count(*) FROM rr.recognize('2024-01-31')" "$unpost_sql"
    bsql -q <<'SQL' >/dev/null
DROP TABLE IF EXISTS cp_entry, cp_jline, cp_posted, cp_run, cp_period;
CREATE UNLOGGED TABLE cp_run AS SELECT * FROM rr.recognition_run;
CREATE UNLOGGED TABLE cp_entry AS SELECT * FROM rr.journal_entry WHERE tenant_id = 'rbench';
CREATE UNLOGGED TABLE cp_jline AS SELECT * FROM rr.journal_line WHERE tenant_id = 'rbench';
CREATE UNLOGGED TABLE cp_posted AS
SELECT tenant_id, schedule_line_id, run_id, entry_id, posted_period, posted_on
  FROM rr.revenue_schedule_line WHERE status = 'posted';
SQL
    rrows=$(psql -X -A -t -d bench -c "SELECT (SELECT count(*) FROM cp_entry) + (SELECT count(*) FROM cp_jline)
                                              + (SELECT count(*) FROM cp_posted)")
    measure rlim$n "physical limit: the same $rrows rows inserted and updated" \
        "INSERT INTO rr.recognition_run SELECT * FROM cp_run;
         INSERT INTO rr.journal_entry SELECT * FROM cp_entry;
         INSERT INTO rr.journal_line SELECT * FROM cp_jline;
         UPDATE rr.revenue_schedule_line l
            SET status = 'posted', run_id = p.run_id, entry_id = p.entry_id, posted_period = p.posted_period,
                posted_on = p.posted_on
           FROM cp_posted p WHERE l.tenant_id = p.tenant_id AND l.schedule_line_id = p.schedule_line_id" \
        "$unpost_sql"
    ratio "recognition run / physical limit (goal: <= 1.5)" rec$n rlim$n
done
bsql -q -c "DROP TABLE IF EXISTS cp_obl, cp_charge, cp_sched, cp_entry, cp_jline, cp_posted, cp_run, cp_period" >/dev/null
BENCH_REPEAT=$saved_repeat
