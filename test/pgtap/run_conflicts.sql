-- A billing run's writers insert without ON CONFLICT: the charges (rr_internal.bill) and
-- the new performance obligations (rr_internal.schedule_billed_lines) rely on the contracts'
-- locks, and a key conflict they meet goes through rr_internal.concurrent_run_conflict:
-- under REPEATABLE READ or SERIALIZABLE, a serialization failure (40001) to retry, when it is
-- the key the writer relies on its locks for; otherwise nothing, and the writer re-raises
-- the original error.  (test/isolation/specs/billing_concurrency.spec races two runs into
-- the charge key; the obligations' key cannot be reached through the API before it.  Under
-- READ COMMITTED it returns and the writer re-raises: not tested here, since one
-- transaction has one isolation level.)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT plan(3);

SELECT throws_ok($$SELECT rr_internal.concurrent_run_conflict('performance_obligation_pkey', 'performance_obligation_pkey',
                                                            'Another transaction wrote obligations.')$$,
                 '40001', 'could not serialize access due to a concurrent billing run',
                 'REPEATABLE READ: the obligations'' key met is a serialization failure');
SELECT throws_ok($$SELECT rr_internal.concurrent_run_conflict('charge_key', 'charge_key', 'Another run.')$$,
                 '40001', 'could not serialize access due to a concurrent billing run',
                 'REPEATABLE READ: the charge key met is a serialization failure');
SELECT lives_ok($$SELECT rr_internal.concurrent_run_conflict('invoice_line_pkey', 'performance_obligation_pkey',
                                                           'Another transaction wrote obligations.')$$,
                'another key: no serialization failure (the writer re-raises its error)');

SELECT * FROM finish();
ROLLBACK;
