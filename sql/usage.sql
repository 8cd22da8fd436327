-- Usage: ingestion, time zones, idempotency, rating, late usage, deposits (docs/usage.md).
\set SHOW_CONTEXT never
SELECT count(*) AS roles FROM rr.create_roles();
-- the tenant keeps its books in Berlin time; one customer is in New York
SELECT rr.create_tenant('use', 'Usage tests', 'USD', 'Europe/Berlin');
SET rr.tenant = 'use';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('use', 'USAGE', 'As used', 'on_usage', '2100', '4300');
INSERT INTO rr.item (tenant_id, code, name, unit, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('use', 'CALL', 'API call', 'call', '4300', '2100', '1100', 'USAGE'),
    ('use', 'GB', 'Storage', 'GB', '4300', '2100', '1100', 'USAGE'),
    ('use', 'HOUR', 'Support hour', 'hour', '4200', '2300', '1100', 'USAGE');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('use', 'CALL', 'USD', 0.10), ('use', 'GB', 'USD', 2.00), ('use', 'HOUR', 'USD', 100.00);
-- A line with a price model is billed by its usage alone; a line with an extra usage
-- price bills its recurring price as a fixed fee (which buys the included quantity) and
-- the usage beyond at the extra usage price.
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              recurring_pricing, recurring_price, included_quantity, extra_usage_price, reset_usage,
                              usage_aggregation, usage_grace_days, allow_negative_usage) VALUES
    -- tiers on the period's calls after 50 included
    ('use', 'API-TIERS', 'API calls in tiers', 'USD', 'CALL', 'postpaid',
     'graduated(100: 0.10, 1000: 0.05, *: 0.01)', 'item_price', NULL, 50, NULL, 'on_billing', 'sum', 0, false),
    -- a 25.00 monthly plan with 100 calls included for the whole term, 0.10 each beyond
    -- (a counter that never resets: unused calls carry over)
    ('use', 'API-POOL', 'API calls from a pool', 'USD', 'CALL', 'postpaid', NULL, 'manual', 25.00, 100, 0.10,
     'never', 'sum', 0, false),
    -- peak storage of the period, 10 GB included in a 10.00 fee, 2.00 per GB beyond
    ('use', 'STORAGE-PEAK', 'Peak storage', 'USD', 'GB', 'postpaid', NULL, 'manual', 10.00, 10, 2.00,
     'on_billing', 'max', 0, false),
    -- storage at the last reading of the period, 2.00 per GB; corrections may be negative
    ('use', 'STORAGE-LAST', 'Storage at period end', 'USD', 'GB', 'postpaid', 'per_unit(2.00)', 'item_price', NULL,
     0, NULL, 'on_billing', 'last', 0, true),
    -- a usage period stays open 3 days for late events before it is billed
    ('use', 'API-GRACE', 'API calls, 3 days grace', 'USD', 'CALL', 'postpaid', 'per_unit(0.10)', 'item_price', NULL,
     0, NULL, 'on_billing', 'sum', 3, false);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, deposit_amount,
                              retain_rate, extra_usage_price, reset_usage) VALUES
    -- a 1,000.00 retainer drawn down at 100.00 an hour, 120.00 an hour once spent;
    -- at the end of the term a quarter of what is left is kept, the rest refunded
    ('use', 'RETAINER', 'Support retainer', 'USD', 'HOUR', 'deposit', 1000.00, 0.25, 120.00, 'never');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment) VALUES
    ('use', 'METERED', 'Metered, monthly', 'renewable', 1, 'year', 'month', 'calendar'),
    ('use', 'RET', 'Retainer, 3 months', 'expiring', 3, 'month', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('use', 'METERED', 1, 'API-TIERS', 1), ('use', 'METERED', 2, 'API-POOL', 1),
    ('use', 'METERED', 3, 'STORAGE-PEAK', 1), ('use', 'METERED', 4, 'STORAGE-LAST', 1),
    ('use', 'METERED', 5, 'API-GRACE', 1), ('use', 'RET', 1, 'RETAINER', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency, time_zone) VALUES
    ('use', 'NY', 'New York customer', 'USD', 'America/New_York'),
    ('use', 'BER', 'Berlin customer (the tenant''s zone)', 'USD', NULL),
    ('use', 'TWO', 'Customer with two metered contracts', 'USD', NULL);
SELECT rr.create_contract('NY', 'METERED', '2024-01-01') AS ny \gset
SELECT rr.create_contract('BER', 'METERED', '2024-01-01') AS ber \gset
SELECT rr.create_contract('BER', 'RET', '2024-01-01') AS ret \gset
SELECT rr.create_contract('TWO', 'METERED', '2024-01-01') AS two_a \gset
SELECT rr.create_contract('TWO', 'METERED', '2024-01-01') AS two_b \gset
SELECT rr.create_contract('NY', 'METERED', '2024-01-01') AS draft \gset
SELECT rr.setup_and_activate_contract(:ny), rr.setup_and_activate_contract(:ber), rr.setup_and_activate_contract(:ret),
       rr.setup_and_activate_contract(:two_a), rr.setup_and_activate_contract(:two_b);

-- no partition exists before the first event
SELECT count(*) AS partitions FROM pg_inherits WHERE inhparent = 'rr.usage_event'::regclass;

-- (1) Time zones, applied once when the event is recorded: the last second of a day and
-- the first of the next, in the customer's zone (New York) or the tenant's (Berlin),
-- across month ends and on daylight-saving change days.
SELECT rr.record_usage(ARRAY[
    (:ny, NULL, 'API-TIERS', 1, '2024-01-31 23:59:59-05', 'ny-1', NULL),   -- Jan 31 in New York
    (:ny, NULL, 'API-TIERS', 1, '2024-02-01 00:00:00-05', 'ny-2', NULL),   -- Feb 1
    (:ny, NULL, 'API-TIERS', 1, '2024-03-10 01:59:59-05', 'ny-3', NULL),   -- the last second before DST starts
    (:ny, NULL, 'API-TIERS', 1, '2024-03-10 03:00:00-04', 'ny-4', NULL),   -- the first second after: same day
    (:ny, NULL, 'API-TIERS', 1, '2024-03-10 23:59:59-04', 'ny-5', NULL),   -- the day had 23 hours
    (:ny, NULL, 'API-TIERS', 1, '2024-03-11 04:00:00+00', 'ny-6', NULL),   -- 00:00 on Mar 11 in New York
    (:ber, NULL, 'API-TIERS', 1, '2024-01-31 22:59:59+00', 'ber-1', NULL), -- Jan 31 23:59:59 in Berlin
    (:ber, NULL, 'API-TIERS', 1, '2024-01-31 23:00:00+00', 'ber-2', NULL), -- Feb 1 00:00 in Berlin
    (:ber, NULL, 'API-TIERS', 1, '2024-10-26 21:59:59+00', 'ber-3', NULL), -- Oct 26 23:59:59 CEST
    (:ber, NULL, 'API-TIERS', 1, '2024-10-27 00:30:00+00', 'ber-4', NULL), -- Oct 27 02:30 CEST (before the change)
    (:ber, NULL, 'API-TIERS', 1, '2024-10-27 01:30:00+00', 'ber-5', NULL), -- Oct 27 02:30 CET (after: the hour repeats)
    (:ber, NULL, 'API-TIERS', 1, '2024-10-27 22:59:59+00', 'ber-6', NULL)  -- Oct 27 23:59:59 CET (a 25-hour day)
]::rr.usage_record[]) AS recorded;
-- (the partitions named, not read from tableoid, which on Citus is a shard's)
SELECT e.idempotency_key, e.occurred_at AT TIME ZONE 'UTC' AS utc, e.usage_date, coalesce(p.partition, 'another') AS partition
  FROM rr.usage_event e
  LEFT JOIN (SELECT 'rr.usage_event_y2024m01' AS partition, tenant_id, event_id FROM rr.usage_event_y2024m01
             UNION ALL SELECT 'rr.usage_event_y2024m02', tenant_id, event_id FROM rr.usage_event_y2024m02
             UNION ALL SELECT 'rr.usage_event_y2024m03', tenant_id, event_id FROM rr.usage_event_y2024m03
             UNION ALL SELECT 'rr.usage_event_y2024m10', tenant_id, event_id FROM rr.usage_event_y2024m10) p
       USING (tenant_id, event_id)
 ORDER BY e.idempotency_key;

-- (2) Idempotency keys: a repeated key is ignored, in a later call and within a batch;
-- each form says how many events were new.
SELECT rr.record_usage(:ny, 'API-TIERS', 1, '2024-02-05 12:00-05', 'ny-2') AS recorded_again;
SELECT rr.record_usage(ARRAY[(:ny, NULL, 'API-TIERS', 7, '2024-02-05 12:00-05', 'dup', NULL),
                             (:ny, NULL, 'API-TIERS', 7, '2024-02-05 12:00-05', 'dup', NULL),
                             (:ny, NULL, 'API-TIERS', 9, '2024-02-05 12:00-05', 'ny-1', NULL)]::rr.usage_record[]) AS recorded;
SELECT count(*) AS kept, sum(quantity) AS quantity FROM rr.usage_event WHERE idempotency_key = 'dup';
-- events without a key are never deduplicated
SELECT rr.record_usage(:ny, 'API-TIERS', 1, '2024-02-05 12:00-05') + rr.record_usage(:ny, 'API-TIERS', 1, '2024-02-05 12:00-05') AS recorded;

-- (3) Customer-level events (the customer's one contract with a line for the item) and
-- COPY through the staging table (which keeps the row order as staging_id).
SELECT rr.record_usage(ARRAY[(NULL, 'NY', 'API-POOL', 60, '2024-01-15 12:00-05', NULL, '{"source": "gateway"}')]::rr.usage_record[]) AS recorded;
COPY rr.usage_staging (contract_id, customer, item, quantity, occurred_at, idempotency_key) FROM stdin;
\N	NY	API-POOL	60	2024-02-15 12:00-05	pool-feb
\N	NY	API-POOL	60	2024-03-15 12:00-04	pool-mar
\N	NY	API-POOL	60	2024-03-15 12:00-04	pool-mar
\.
SELECT * FROM rr.merge_usage_staging();
SELECT count(*) AS still_staged FROM rr.usage_staging;

-- (4) Rating.  New York's January and February, billed on March 1:
--  API-TIERS: 50 calls included each month, then graduated tiers;
--  API-POOL: 100 calls included for the term, 0.10 beyond: 60 (Jan), 60 (Feb) -> 0, 2.00;
-- included quantity exactly used, one unit over, tiers crossing:
SELECT rr.record_usage(ARRAY[
    (:ber, NULL, 'API-TIERS', 48, '2024-02-10 12:00+01', 'ber-feb', NULL),       -- Feb: 1 + 1 + 48 = 50 = included
    (:ber, NULL, 'API-TIERS', 51, '2024-03-10 12:00+01', 'ber-mar', NULL),       -- Mar: 51, one over
    (:ny, NULL, 'API-TIERS', 1240, '2024-03-20 12:00-04', 'ny-mar', NULL),       -- Mar: 1,250 in all
    (:ny, NULL, 'STORAGE-PEAK', 8, '2024-01-05 12:00-05', 'st-1', NULL),
    (:ny, NULL, 'STORAGE-PEAK', 14, '2024-01-20 12:00-05', 'st-2', NULL),        -- peak 14: 4 GB over
    (:ny, NULL, 'STORAGE-PEAK', 9, '2024-01-30 12:00-05', 'st-3', NULL),
    (:ny, NULL, 'STORAGE-LAST', 30, '2024-01-05 12:00-05', 'sl-1', NULL),
    (:ny, NULL, 'STORAGE-LAST', 12, '2024-01-30 12:00-05', 'sl-2', NULL),        -- last reading: 12 GB
    (:ny, NULL, 'STORAGE-LAST', 50, '2024-01-20 12:00-05', 'sl-3', NULL),        -- recorded later, occurred earlier
    -- the retainer (8): 6 hours in January, 6 in February
    (:ret, NULL, 'HOUR', 6, '2024-01-10 10:00+01', 'ret-1', NULL),
    (:ret, NULL, 'RETAINER', 6, '2024-02-10 10:00+01', 'ret-2', NULL)
]::rr.usage_record[]) AS recorded;
SELECT contract_id, customer, lines, total FROM rr.run_billing('2024-03-01') ORDER BY contract_id;
SELECT c.contract_id, ci.code AS item, ch.service_period, ch.adjustment_seq AS seq, ch.quantity, ch.unit_price, ch.amount,
       ch.detail - 'events' AS detail
  FROM rr.charge ch
  JOIN rr.contract c USING (tenant_id, contract_id)
  JOIN rr.contract_line l ON l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id AND l.line_no = ch.line_no
                         AND l.effective_from = ch.line_effective_from
  JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
 WHERE ch.kind = 'usage'
 ORDER BY c.contract_id, ch.line_no, lower(ch.service_period);

-- (5) March, billed on April 1: tiers crossing (1,244 calls, 1,194 billable:
-- 100 x 0.10 + 900 x 0.05 + 194 x 0.01 = 56.94), with the tiers on the invoice line;
-- the pool's third month (60 more: all 60 beyond the 100 included = 6.00).
SELECT contract_id, lines, total FROM rr.run_billing('2024-04-01') ORDER BY contract_id;
SELECT i.contract_id, l.contract_item, l.service_period, l.quantity, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.invoice_date = '2024-04-01' AND l.kind = 'usage' AND l.amount <> 0
 ORDER BY i.contract_id, l.line_no;
-- the quantity detail with the tiers of the price model (rr.usage_line_detail)
SELECT d.contract_item, d.used, d.included, d.billable, d.amount, d.tier, d.tier_units, d.tier_unit_price, d.tier_amount
  FROM rr.usage_line_detail d JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE i.contract_id = :ny AND i.invoice_date = '2024-04-01' AND d.contract_item = 'API-TIERS'
 ORDER BY d.tier;
-- the pool's counter over three periods: 0.00 + 2.00 + 6.00 = 8.00 = (180 - 100) x 0.10
SELECT service_period, quantity, amount, detail->'counter' AS counter
  FROM rr.charge ch
 WHERE ch.contract_id = :ny AND ch.kind = 'usage'
   AND ch.line_no = (SELECT line_no FROM rr.contract_line WHERE contract_id = :ny AND contract_item = 'API-POOL')
 ORDER BY lower(service_period);
-- a billing run repeated bills nothing
SELECT count(*) AS invoices_on_rerun FROM rr.run_billing('2024-04-01');
-- what the runs rated (rr.usage_rating_state; docs/usage.md, "What a run rates"): each line
-- rated to April 1 (the one with 3 days of grace to March 1: March is due on April 4), the
-- pool's counter (never reset) carrying its 180 calls into April, the others starting again
-- every period; the next run reads only the events from there on
SELECT l.contract_item, s.rated_to, s.counter_from, s.counter
  FROM rr.usage_rating_state s
  JOIN rr.contract_line l ON l.tenant_id = s.tenant_id AND l.contract_id = s.contract_id AND l.line_no = s.line_no
 WHERE s.contract_id = :ny
 ORDER BY s.line_no;

-- (6) Late usage: two February events arrive after February was billed.  The next invoice
-- carries them as their own lines with February's service period; nothing is billed
-- twice, nothing is dropped (the pool's counter moves March's amount too).
SELECT rr.record_usage(ARRAY[(:ny, NULL, 'API-TIERS', 100, '2024-02-20 12:00-05', 'late-1', NULL),
                             (:ny, NULL, 'API-POOL', 5, '2024-02-20 12:00-05', 'late-2', NULL)]::rr.usage_record[]) AS recorded;
-- their arrival (rr.usage_arrival), dated before what the two lines are rated to: the next
-- run rates those two lines' whole history again, so the late events are billed exactly as
-- they would be without the state
SELECT l.contract_item, a.usage_date, a.usage_date < s.rated_to AS before_rated_to
  FROM rr.usage_arrival a
  JOIN rr.usage_rating_state s USING (tenant_id, contract_id, line_no)
  JOIN rr.contract_line l ON l.tenant_id = a.tenant_id AND l.contract_id = a.contract_id AND l.line_no = a.line_no
 WHERE a.contract_id = :ny
 ORDER BY a.line_no;
SELECT contract_id, lines, total FROM rr.run_billing('2024-05-01') WHERE contract_id = :ny;
SELECT l.kind, l.contract_item, l.service_period, l.quantity, l.amount, l.detail->'late' AS late,
       l.detail->'billed_before' AS billed_before
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :ny AND i.invoice_date = '2024-05-01'
 ORDER BY l.line_no;
-- billed per period = the price of all of the period's events, whenever they came
SELECT ch.service_period, sum(ch.quantity) AS quantity, sum(ch.amount) AS amount, count(*) AS charges
  FROM rr.charge ch
 WHERE ch.contract_id = :ny AND ch.kind = 'usage'
   AND ch.line_no = (SELECT line_no FROM rr.contract_line WHERE contract_id = :ny AND contract_item = 'API-TIERS')
 GROUP BY ch.service_period ORDER BY lower(ch.service_period);
SELECT count(*) AS invoices_on_rerun FROM rr.run_billing('2024-05-01');
-- the run read the arrivals and rated the lines to May 1: the pool's counter is 185 calls
SELECT l.contract_item, s.rated_to, s.counter,
       (SELECT count(*) FROM rr.usage_arrival a WHERE a.tenant_id = s.tenant_id AND a.contract_id = s.contract_id
                                                AND a.line_no = s.line_no) AS arrivals
  FROM rr.usage_rating_state s
  JOIN rr.contract_line l ON l.tenant_id = s.tenant_id AND l.contract_id = s.contract_id AND l.line_no = s.line_no
 WHERE s.contract_id = :ny
 ORDER BY s.line_no;

-- (7) The grace window: April's calls on the 3-day-grace line are not billed on May 1,
-- an event arriving on May 2 still makes it into the April charge, billed on May 4.
SELECT rr.record_usage(:ber, 'API-GRACE', 10, '2024-04-30 12:00+02', 'grace-1') AS recorded;
SELECT count(*) AS invoices FROM rr.run_billing('2024-05-01');
SELECT rr.record_usage(:ber, 'API-GRACE', 5, '2024-04-30 23:00+02', 'grace-2') AS recorded;
SELECT contract_id, lines, total FROM rr.run_billing('2024-05-04');
SELECT i.invoice_date, l.contract_item, l.service_period, l.quantity, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE l.contract_item = 'API-GRACE' AND l.service_period @> date '2024-04-15';

-- (8) A deposit drawn down to zero and beyond: 1,000.00 at 100.00 an hour; 6 hours in
-- January, 6 in February (4 from the deposit, 2 at the extra usage price of 120.00);
-- nothing left at the end of the term (April 1), so nothing to release.
SELECT i.invoice_date, l.kind, l.service_period, l.quantity, l.unit_price, l.amount,
       l.detail->'deposit_remaining' AS remaining
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :ret
 ORDER BY i.invoice_id, l.line_no;
SELECT * FROM rr.deposit_balances WHERE contract_id = :ret;

-- (9) The end of a retainer's term with deposit left: a second retainer uses 3 hours of
-- its 10; at the end of the term 700.00 is unused: 25 % (175.00) is kept as breakage,
-- 525.00 is refunded; the deposit account ends at zero.
SELECT rr.create_contract('BER', 'RET', '2024-01-01') AS ret2 \gset
SELECT rr.setup_and_activate_contract(:ret2);
SELECT rr.record_usage(:ret2, 'HOUR', 3, '2024-02-10 10:00+01', 'ret2-1') AS recorded;
SELECT count(*) AS invoices FROM rr.bill_contract(:ret2, '2024-03-31');
SELECT count(*) AS invoices FROM rr.run_billing('2024-04-01');
SELECT i.invoice_date, l.kind, l.service_period, l.amount, l.credit_account
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :ret2
 ORDER BY i.invoice_id, l.line_no;
SELECT * FROM rr.deposit_balances WHERE contract_id = :ret2;
-- an hour of March arrives after the settlement: billed from the deposit, and the
-- release and breakage corrected (100.00 less unused: 25.00 less kept, 75.00 less refunded)
SELECT rr.record_usage(:ret2, 'HOUR', 1, '2024-03-28 10:00+01', 'ret2-late') AS recorded;
SELECT contract_id, lines, total FROM rr.run_billing('2024-04-02');
SELECT l.kind, l.service_period, l.amount, l.detail->'late' AS late
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :ret2 AND i.invoice_date = '2024-04-02' ORDER BY l.line_no;
SELECT * FROM rr.deposit_balances WHERE contract_id = :ret2;
-- the refund is the invoice of April 1 (-525.00): posted, its credit is BER's customer
-- credit (Dr 1100 / Cr 2400; docs/payments.md, "Credit balances"), applied to BER's open
-- invoices, oldest due first (those of its first retainer, whose lines carry that contract)
SELECT count(*) AS posted FROM rr.post_invoices('2024-04-30');
SELECT jl.account, sum(jl.debit) AS debit, sum(jl.credit) AS credit
  FROM rr.journal_line jl WHERE jl.contract_id = :ret2 GROUP BY jl.account ORDER BY jl.account;
SELECT p.method, p.amount, a.amount AS applied, t.contract_id = :ret2 AS same_contract
  FROM rr.payment p
  JOIN rr.invoice i ON i.tenant_id = p.tenant_id AND i.invoice_id = p.source_invoice_id
  JOIN rr.payment_application a ON a.tenant_id = p.tenant_id AND a.payment_id = p.payment_id
  JOIN rr.invoice t ON t.tenant_id = a.tenant_id AND t.invoice_id = a.invoice_id
 WHERE i.contract_id = :ret2 ORDER BY a.application_id;

-- (10) Max and last: peak 14 GB (4 over 10 included = 8.00), last reading 12 GB (24.00)
-- were billed in (4), next to the storage plan's fixed fee.
SELECT ci.code, ch.kind, ch.service_period, ch.quantity, ch.amount
  FROM rr.charge ch
  JOIN rr.contract_line l ON l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id AND l.line_no = ch.line_no
                         AND l.effective_from = ch.line_effective_from
  JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
 WHERE ch.contract_id = :ny AND ci.code LIKE 'STORAGE%' AND lower(ch.service_period) < '2024-03-01'
 ORDER BY ci.code, lower(ch.service_period), ch.kind;

-- (11) A termination set after the events were recorded: events dated on or after the
-- termination date are not billed (60 calls on June 10 are, 60 on June 20 are not).
SELECT rr.record_usage(ARRAY[(:two_a, NULL, 'API-TIERS', 60, '2024-06-10 12:00+02', 'term-1', NULL),
                             (:two_a, NULL, 'API-TIERS', 60, '2024-06-20 12:00+02', 'term-2', NULL)]::rr.usage_record[]) AS recorded;
SELECT rr.terminate_contract(:two_a, '2024-06-15', 'closing the account');
SELECT count(*) AS invoices FROM rr.run_billing('2024-07-01');
SELECT ch.service_period, ch.quantity, ch.amount
  FROM rr.charge ch
 WHERE ch.contract_id = :two_a AND ch.kind = 'usage' AND lower(ch.service_period) = '2024-06-01';
-- and usage dated after the termination is refused from now on
SELECT rr.record_usage(:two_a, 'API-TIERS', 1, '2024-06-16 12:00+02');

-- Bad input: each refused with its SQLSTATE, nothing recorded, the batch position named.
\set VERBOSITY verbose
SELECT count(*) AS events_before FROM rr.usage_event \gset
SELECT rr.record_usage(:ny, 'API-TIERS', 'NaN', '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'API-TIERS', 'Infinity', '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'API-TIERS', '-Infinity', '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'API-TIERS', 1e15, '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'API-TIERS', 1, '2200-01-01 12:00+00');
SELECT rr.record_usage(:ny, 'API-TIERS', NULL, '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'API-TIERS', -1, '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'API-TIERS', 1, NULL);
SELECT rr.record_usage(:ny, 'API-TIERS', 1, 'infinity');
SELECT rr.record_usage(:ny, 'API-TIERS', 1, '1899-12-31 12:00+00');
SELECT rr.record_usage(:ny, 'API-TIERS', 1, '3000-01-01 12:00+00');
SELECT rr.record_usage(999999, 'API-TIERS', 1, '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'NO-SUCH-ITEM', 1, '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'RETAINER', 1, '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'CALL', 1, '2024-05-05 12:00-04');
SELECT rr.record_usage(:ny, 'API-TIERS', 1, '2023-12-31 23:59:59-05');
SELECT rr.record_usage(:ny, 'API-TIERS', 1, '2025-01-01 00:00:00-05');
SELECT rr.record_usage(:draft, 'API-TIERS', 1, '2024-05-05 12:00-04');
SELECT rr.record_usage(ARRAY[(NULL, 'TWO', 'API-TIERS', 1, '2024-05-05 12:00+02', NULL, NULL)]::rr.usage_record[]);
SELECT rr.record_usage(ARRAY[(NULL, 'NOBODY', 'API-TIERS', 1, '2024-05-05 12:00+02', NULL, NULL)]::rr.usage_record[]);
SELECT rr.record_usage(ARRAY[(NULL, NULL, 'API-TIERS', 1, '2024-05-05 12:00+02', NULL, NULL)]::rr.usage_record[]);
SELECT rr.record_usage(NULL::rr.usage_record[]);
-- a batch with one bad event (the third) is refused whole
SELECT rr.record_usage(ARRAY[(:ny, NULL, 'API-TIERS', 1, '2024-05-05 12:00-04', 'b-1', NULL),
                             (:ny, NULL, 'API-TIERS', 2, '2024-05-05 12:00-04', 'b-2', NULL),
                             (:ny, NULL, 'API-TIERS', -3, '2024-05-05 12:00-04', 'b-3', NULL),
                             (:ny, NULL, 'API-TIERS', 4, '2024-05-05 12:00-04', 'b-4', NULL)]::rr.usage_record[]);
-- a batch spread over 1,000 months (or 37) is refused before any partition is created
SELECT count(*) AS partitions_before FROM pg_inherits WHERE inhparent = 'rr.usage_event'::regclass \gset
SELECT rr.record_usage(array_agg(ROW(:ny, NULL, 'API-TIERS', 1, timestamptz '1950-01-15 12:00+00'
                                     + make_interval(months => g), NULL, NULL)::rr.usage_record))
  FROM generate_series(0, 999) g;
SELECT rr.record_usage(ARRAY[(:ny, NULL, 'API-TIERS', 1, '2024-01-15 12:00-04', NULL, NULL),
                             (:ny, NULL, 'API-TIERS', 1, '2027-01-15 12:00-04', NULL, NULL)]::rr.usage_record[]);
-- more than 100,000 events in one call
SELECT rr.record_usage(array_fill(ROW(:ny, NULL, 'API-TIERS', 1, '2024-05-05 12:00-04', NULL, NULL)::rr.usage_record,
                                  ARRAY[100001]));
-- a standalone selling price that is not a finite number (here, for the draft contract)
SELECT rr.set_obligation(:draft, 1, standalone_price => 'NaN');
SELECT count(*) - :partitions_before AS partitions_created FROM pg_inherits WHERE inhparent = 'rr.usage_event'::regclass;
-- a negative quantity is a correction where the item allows it
SELECT rr.record_usage(:ny, 'STORAGE-LAST', -2, '2024-05-05 12:00-04', 'neg-ok') AS recorded;
-- a staged batch with a bad row is refused whole and stays staged, naming the row
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at) VALUES
    (:ny, 'API-TIERS', 1, '2024-05-06 12:00-04'), (:ny, 'API-TIERS', 1, '2024-05-06 12:00-04'),
    (:ny, 'NO-SUCH-ITEM', 1, '2024-05-06 12:00-04');
SELECT * FROM rr.merge_usage_staging();
SELECT count(*) AS still_staged FROM rr.usage_staging;
DELETE FROM rr.usage_staging WHERE item = 'NO-SUCH-ITEM';
SELECT received, recorded FROM rr.merge_usage_staging();
-- COPY into the staging table refuses the same values
COPY rr.usage_staging (contract_id, item, quantity, occurred_at) FROM stdin;
1	API-TIERS	-Infinity	2024-05-06 12:00-04
\.
COPY rr.usage_staging (contract_id, item, quantity, occurred_at) FROM stdin;
1	API-TIERS	1	infinity
\.
SELECT count(*) AS staged_by_refused_copies FROM rr.usage_staging;
-- partitions ahead of time (for DBAs), and its refusals
SELECT rr.create_usage_partitions('2024-11-15', '2025-01-15') AS created;
SELECT rr.create_usage_partitions('2024-11-15', '2025-01-15') AS created_again;
SELECT rr.create_usage_partitions('2025-02-01', '2025-01-01');
SELECT rr.create_usage_partitions('1800-01-01', '1800-02-01');
SELECT rr.create_usage_partitions(NULL, '2025-01-01');
SELECT rr.create_usage_partitions('2024-01-01', '2039-01-01');
-- ingestion creates the partitions of the months from ten years before the current month
-- to two years after it only (partitions are shared by every tenant): a batch with an
-- event three years ahead is refused until an administrator creates that month (the
-- months in the message depend on today's date, so only its shape is shown)
SELECT count(*) AS partitions_now FROM pg_inherits WHERE inhparent = 'rr.usage_event'::regclass \gset
SELECT format($f$DO $d$
BEGIN
    PERFORM rr.record_usage(%s, 'API-TIERS', 1, date_trunc('month', current_date) + interval '3 years 14 days');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE '%%: %%', SQLSTATE, regexp_replace(SQLERRM, '[0-9]{4}-[0-9]{2}', 'YYYY-MM', 'g');
END
$d$$f$, :ny) \gexec
SELECT count(*) - :partitions_now AS partitions_created FROM pg_inherits WHERE inhparent = 'rr.usage_event'::regclass;
SELECT rr.record_usage(:ny, NULL, 1, '2024-05-05 12:00-04');
-- nothing staged: the merge has nothing to do
SELECT * FROM rr.merge_usage_staging();
\set VERBOSITY default
SELECT count(*) - :events_before AS recorded_by_the_refusals_section FROM rr.usage_event;

-- Privileges: rr_app records usage and stages COPY rows; it cannot write events directly,
-- nor read another tenant's events.
SELECT rr.add_tenant_member('use', 'rr_app');
SET ROLE rr_app;
INSERT INTO rr.usage_event (tenant_id, contract_id, line_no, usage_date, quantity, occurred_at)
VALUES ('use', :ny, 1, '2024-05-01', 1, now());
-- the staging table (COPY's way in) has the limits of rr.usage_event
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at) VALUES (:ny, 'API-TIERS', 'NaN', '2024-05-06 12:00-04');
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at) VALUES (:ny, 'API-TIERS', 'Infinity', '2024-05-06 12:00-04');
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at) VALUES (:ny, 'API-TIERS', 1e20, '2024-05-06 12:00-04');
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at) VALUES (:ny, 'API-TIERS', 1, 'infinity');
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at) VALUES (:ny, 'API-TIERS', 1, '294276-01-01 00:00+00');
SELECT count(*) AS staged FROM rr.usage_staging;
SELECT rr.record_usage(:ny, 'API-TIERS', 1, '2024-05-07 12:00-04', 'app-1') AS recorded;
-- COPY by rr_app: into rr.usage_intake (PostgreSQL refuses COPY FROM into a table with row
-- security to a role that does not bypass it); each row staged for the tenant, each value
-- checked as COPY reads it
COPY rr.usage_intake (customer, item, quantity, occurred_at, idempotency_key) FROM stdin;
NY	API-POOL	5	2024-05-08 12:00-04	intake-1
NY	API-POOL	7	2024-05-08 13:00-04	intake-2
\.
\set VERBOSITY verbose
COPY rr.usage_intake (customer, item, quantity, occurred_at) FROM stdin;
NY	API-POOL	NaN	2024-05-08 12:00-04
\.
\set VERBOSITY default
SELECT received, recorded, duplicates FROM rr.merge_usage_staging();
RESET ROLE;
SELECT idempotency_key, quantity, usage_date FROM rr.usage_event WHERE idempotency_key LIKE 'intake-%' ORDER BY 1;
SELECT rr.create_tenant('other', 'Another tenant', 'USD');
SELECT rr.add_tenant_member('other', 'rr_analyst');
SET ROLE rr_analyst;
SET rr.tenant = 'other';
SELECT count(*) AS visible_to_other FROM rr.usage_event;
SELECT count(*) AS visible_to_other FROM rr.usage_event_y2024m01;
RESET ROLE;
SET rr.tenant = 'use';
-- partitions carry the parent's row-level security and grant nothing
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       NOT EXISTS (SELECT FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) AS owner_only
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'rr.usage_event'::regclass ORDER BY c.relname LIMIT 3;
