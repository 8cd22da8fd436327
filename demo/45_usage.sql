-- recurring_revenue demo: metered usage for Globex's API plan and Initech's support retainer
-- (needs 30_contracts.sql; billed by 50_billing.sql, shown by 55_usage.sql).
\echo
\echo '== Usage arrives in bulk: COPY into rr.usage_staging, then one merge (here 3 API readings a day for Globex, Feb to Dec 2024)'
SET rr.tenant = 'default';
-- (a generated stand-in for COPY rr.usage_staging (...) FROM STDIN)
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key)
SELECT 2, 'API-CALL', 1000 + (extract(doy FROM d)::integer * 37 + h * 11) % 4000,
       d + make_interval(hours => 8 * h + 3), format('gw-%s-%s', d::date, h)
  FROM generate_series(timestamptz '2024-02-01 00:00-05', '2024-12-31 00:00-05', interval '1 day') AS d,
       generate_series(0, 2) AS h;
SELECT * FROM rr.merge_usage_staging();

\echo '== The gateway resends a day it was not sure about: the idempotency keys make it a no-op'
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key)
SELECT 2, 'API-CALL', 1000, timestamptz '2024-06-30 08:00-04' + make_interval(hours => 8 * h), format('gw-2024-06-30-%s', h)
  FROM generate_series(0, 2) AS h;
SELECT * FROM rr.merge_usage_staging();

\echo '== Support hours for Initech, one call per ticket batch (a batch is all or nothing); the retainer pays for them'
SELECT rr.record_usage(ARRAY[
    (3, NULL, 'SUPPORT-HR', 8, '2024-03-12 16:00-04', 'TCK-101', '{"ticket": 101}'),
    (3, NULL, 'SUPPORT-HR', 12.5, '2024-05-20 11:00-04', 'TCK-117', '{"ticket": 117}'),
    (3, NULL, 'SUPPORT-HR', 15, '2024-08-02 09:30-04', 'TCK-140', '{"ticket": 140}'),
    (3, NULL, 'SUPPORT-HR', 4, '2024-10-15 14:00-04', 'TCK-152', '{"ticket": 152}')]::rr.usage_record[]) AS recorded;

\echo '== Events become dates in the customer''s time zone (else the tenant''s, New York), once, when recorded'
SELECT contract_id, occurred_at AT TIME ZONE 'UTC' AS occurred_utc, usage_date, quantity, idempotency_key
  FROM rr.usage_event WHERE contract_id = 3 ORDER BY usage_date;
SELECT to_char(date_trunc('month', usage_date), 'YYYY-MM') AS month, count(*) AS events, sum(quantity) AS api_calls
  FROM rr.usage_event WHERE contract_id = 2 GROUP BY 1 ORDER BY 1 LIMIT 4;

\echo '== Refused: an event outside the contract''s term, a negative quantity (the whole batch is refused, the bad event named)'
\set ON_ERROR_STOP 0
SELECT rr.record_usage(2, 'API-CALL', 5000, '2023-12-31 12:00-05');
SELECT rr.record_usage(ARRAY[(3, NULL, 'SUPPORT-HR', 2, '2024-06-01 10:00-04', 'TCK-120', NULL),
                             (3, NULL, 'SUPPORT-HR', -2, '2024-06-02 10:00-04', 'TCK-121', NULL)]::rr.usage_record[]);
\set ON_ERROR_STOP 1
