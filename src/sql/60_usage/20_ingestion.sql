-- Usage ingestion (docs/usage.md): one event, a batch, or COPY into rr.usage_staging, all
-- through one statement, rr_internal.ingest_usage.

-- The events of a batch, as the query the ingestion statements read them from: the
-- array given to rr.record_usage (kind 'batch', $1 the array), or the tenant's rows of
-- rr.usage_staging up to a staging_id (kind 'staging', $1 that id), selected or, when
-- consumed, deleted.  The texts are the extension's own: no function runs SQL text it
-- was given.  Columns: pos (1-based position or staging_id), contract_id, customer,
-- item, quantity, occurred_at, idempotency_key, properties.
CREATE FUNCTION rr_internal.usage_batch_source(kind text, tenant_id text, consume boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF kind = 'batch' THEN
        RETURN 'SELECT e.pos, e.contract_id, e.customer, e.item, e.quantity, e.occurred_at, e.idempotency_key, e.properties
                  FROM unnest($1::rr.usage_record[]) WITH ORDINALITY
                       AS e(contract_id, customer, item, quantity, occurred_at, idempotency_key, properties, pos)';
    ELSIF kind = 'staging' THEN
        RETURN format('%s rr.usage_staging s WHERE s.tenant_id = %L AND s.staging_id <= $1::bigint %s',
                      CASE WHEN consume THEN 'DELETE FROM'
                           ELSE 'SELECT s.staging_id AS pos, s.contract_id, s.customer, s.item, s.quantity, s.occurred_at,
                                        s.idempotency_key, s.properties FROM' END,
                      tenant_id,
                      CASE WHEN consume THEN 'RETURNING s.staging_id AS pos, s.contract_id, s.customer, s.item, s.quantity,
                                                        s.occurred_at, s.idempotency_key, s.properties' ELSE '' END);
    END IF;
    RAISE EXCEPTION 'unknown usage batch kind "%"', kind USING ERRCODE = 'XX000';
END
$$;
COMMENT ON FUNCTION rr_internal.usage_batch_source(text, text, boolean) IS 'internal: the fixed query a usage batch is read from: the array of rr.record_usage (batch) or the tenant''s staged rows up to a staging_id (staging), selected or deleted';

-- Raise the refusal of one event of a batch (called from inside the ingestion statement,
-- so the whole statement, and with it the batch, is rolled back).
CREATE FUNCTION rr_internal.refuse_usage_event(source text, pos bigint, errcode text, message text,
                                      detail text DEFAULT NULL, hint text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'usage event % refused: %', CASE source WHEN 'staging' THEN 'with staging_id ' ELSE '' END
                                                || pos, message
        USING ERRCODE = errcode,
              DETAIL = coalesce(detail, 'Nothing was recorded: a batch is accepted whole or not at all.'),
              HINT = coalesce(hint, 'Correct or remove the event and send the batch again.');
END
$$;
COMMENT ON FUNCTION rr_internal.refuse_usage_event(text, bigint, text, text, text, text) IS 'internal: raises the refusal of one usage event of a batch, naming its position (or staging_id)';

-- The one ingestion statement, over the events of rr_internal.usage_batch_source (arg is
-- its $1; staged rows are deleted as they are read).  Returns how many events it
-- received and how many were new.
--
-- Its plan cannot go quadratic, whatever statistics the tables have (a batch's events
-- are estimated from nothing the planner can trust): the batch's contracts and their
-- lines are read by index, from the array of their ids (their customers' time zones by
-- key, in a subquery); the events are joined to them, and the new events to their new
-- keys, by full joins on equality only, which PostgreSQL can only hash or merge (never a
-- nested loop over the batch).  The filters that drop the other side's unmatched rows
-- are out of the planner's sight (above a MATERIALIZED CTE, or not strict), so it cannot
-- turn a full join back into a plain one.
CREATE FUNCTION rr_internal.ingest_usage(tenant_id text, kind text, arg anyelement,
                                OUT received bigint, OUT recorded bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e_state text;
    e_message text;
    e_detail text;
    e_hint text;
BEGIN
    EXECUTE format($q$
    WITH src AS MATERIALIZED (%s),
    r AS (
        -- the contract: named, or the customer's one contract with a line for the item
        SELECT s.*,
               coalesce(s.contract_id, CASE WHEN s.customer IS NOT NULL THEN (
                   SELECT CASE WHEN count(DISTINCT k.contract_id) > 1 THEN -1 ELSE min(k.contract_id) END
                     FROM rr.contract_billing_terms k
                     JOIN rr.customer cu ON cu.tenant_id = $2 AND cu.code = k.customer
                     JOIN rr.contract_line l ON l.tenant_id = $2 AND l.contract_id = k.contract_id
                     JOIN rr.contract_item ci ON ci.tenant_id = $2 AND ci.code = l.contract_item
                    WHERE k.tenant_id = $2 AND k.customer = s.customer
                      AND s.item IN (ci.code, ci.recurring_item)
                      AND k.activation_date IS NOT NULL
                      AND daterange(k.bill_from, k.bill_to)
                          @> (s.occurred_at AT TIME ZONE coalesce(cu.time_zone,
                                  (SELECT tn.time_zone FROM rr.tenant tn WHERE tn.tenant_id = $2)))::date)
               END) AS cid
          FROM src s
    ),
    ids AS (
        -- the batch's contracts, as one array: their rows and lines are read by index
        -- scans of their keys, so a batch never reads all of the tenant's contracts and lines
        SELECT array_agg(DISTINCT r.cid) AS a FROM r
    ),
    lv AS (
        -- the versions of the metered lines of the contracts in the batch in force (not
        -- removed), per contract and code an event may name them with (contract item or
        -- its recurring item), as arrays: one row per contract and code
        -- (a recurring item metered by several lines of a contract names none of them)
        SELECT w.contract_id, m.code AS match_code, array_agg(w.line_no) AS line_nos,
               array_agg(w.allow_negative_usage) AS allow_negative, array_agg(w.valid) AS valid
          FROM (SELECT l.contract_id, l.line_no, l.is_removed, ci.code, ci.allow_negative_usage,
                       CASE WHEN min(l.line_no) OVER (PARTITION BY l.contract_id, ci.recurring_item)
                                 = max(l.line_no) OVER (PARTITION BY l.contract_id, ci.recurring_item)
                            THEN ci.recurring_item END AS recurring_item,
                       daterange(l.effective_from, lead(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no
                                                                                ORDER BY l.effective_from)) AS valid
                  FROM rr.contract_line l
                  JOIN rr.contract_item ci ON ci.tenant_id = $2 AND ci.code = l.contract_item
                 WHERE l.tenant_id = $2 AND l.contract_id = ANY ((SELECT ids.a FROM ids)::bigint[])
                   AND (ci.price_model IS NOT NULL OR ci.extra_usage_price IS NOT NULL OR ci.billing_type = 'deposit')) w
          CROSS JOIN LATERAL (SELECT w.code UNION SELECT w.recurring_item WHERE w.recurring_item IS NOT NULL) m(code)
         WHERE NOT w.is_removed
         GROUP BY w.contract_id, m.code
    ),
    k AS (
        -- the batch's contracts, and each one's customer's time zone (looked up by key; every
        -- table filtered by the tenant itself: correlated through the contract's tenant_id,
        -- the look-up made Citus send the statement to every shard of the contracts)
        SELECT k.contract_id, k.status, k.activation_date, daterange(k.bill_from, k.bill_to) AS active,
               (SELECT cu.time_zone FROM rr.customer cu
                 WHERE cu.tenant_id = $2 AND cu.code = k.customer) AS customer_time_zone
          FROM rr.contract_billing_terms k
         WHERE k.tenant_id = $2 AND k.contract_id = ANY ((SELECT ids.a FROM ids)::bigint[])
    ),
    y AS MATERIALIZED (
        -- each event with its contract and the versions of the line it names (the other
        -- side's unmatched rows, contracts and lines of the batch, are dropped below)
        SELECT r.*, k.contract_id AS found, k.status, k.activation_date, k.active,
               (r.occurred_at AT TIME ZONE coalesce(k.customer_time_zone,
                   (SELECT tn.time_zone FROM rr.tenant tn WHERE tn.tenant_id = $2)))::date AS usage_date,
               lv.line_nos, lv.allow_negative, lv.valid
          FROM r
          FULL JOIN k ON k.contract_id = r.cid
          FULL JOIN lv ON lv.contract_id = k.contract_id AND lv.match_code = r.item
    ),
    ok AS (
        -- checked in the order of the batch (the first bad event refuses it), numbered in
        -- that order
        SELECT z.*, nextval('rr.usage_event_event_id_seq') AS event_id
          FROM (SELECT y.*, v.line_no, v.allow_negative_usage
                  FROM y
                  LEFT JOIN LATERAL (SELECT v.line_no, v.allow_negative_usage
                                       FROM unnest(y.line_nos, y.allow_negative, y.valid)
                                            AS v(line_no, allow_negative_usage, valid)
                                      WHERE v.valid @> y.usage_date) v ON true
                 WHERE y.pos IS NOT NULL
                 ORDER BY y.pos) z
         WHERE CASE
            -- (missing values, quantities and the batch's span: rr_internal.check_usage_batch, before)
            WHEN NOT isfinite(z.occurred_at) OR NOT (SELECT rr.usage_date_range()) @> z.usage_date THEN
                rr_internal.refuse_usage_event($3, z.pos, '22008',
                    format('occurred_at %%s is outside the dates usage can be recorded for', z.occurred_at),
                    format('Usage dates must lie in %%s.', rr.usage_date_range()))
            WHEN z.cid = -1 THEN
                rr_internal.refuse_usage_event($3, z.pos, '21000',
                    format('customer "%%s" has more than one contract with a line for item "%%s" on %%s',
                           z.customer, z.item, z.usage_date), NULL, 'Name the contract with contract_id.')
            WHEN z.found IS NULL AND z.contract_id IS NOT NULL THEN
                rr_internal.refuse_usage_event($3, z.pos, 'P0002', format('contract %%s does not exist', z.contract_id))
            WHEN z.found IS NULL THEN
                rr_internal.refuse_usage_event($3, z.pos, 'P0002',
                    format('customer "%%s" has no contract active on %%s with a line for item "%%s"',
                           z.customer, z.occurred_at, z.item))
            WHEN z.activation_date IS NULL OR NOT z.active @> z.usage_date THEN
                rr_internal.refuse_usage_event($3, z.pos, '55000',
                    format('contract %%s was not active on %%s', z.found, z.usage_date),
                    CASE WHEN z.activation_date IS NULL THEN format('Its status is "%%s".', z.status)
                         ELSE format('It bills usage for %%s.', z.active) END)
            WHEN z.line_no IS NULL AND (SELECT count(DISTINCT l.line_no) > 1 FROM rr.contract_line l
                                          JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
                                         WHERE l.tenant_id = $2 AND l.contract_id = z.found
                                           AND ci.recurring_item = z.item) THEN
                rr_internal.refuse_usage_event($3, z.pos, '21000',
                    format('item "%%s" is metered by more than one line of contract %%s', z.item, z.found),
                    NULL, 'Name the contract item instead.')
            WHEN z.line_no IS NULL THEN
                rr_internal.refuse_usage_event($3, z.pos, '23503',
                    format('contract %%s has no usage line for item "%%s" on %%s', z.found, z.item, z.usage_date),
                    NULL, 'Usage is recorded against a contract item with a price model, an extra usage price or a deposit.')
            WHEN z.quantity < 0 AND NOT z.allow_negative_usage THEN
                rr_internal.refuse_usage_event($3, z.pos, '22023', format('quantity %%s is negative', z.quantity),
                    NULL, 'Set allow_negative_usage on the contract item to record corrections as negative usage.')
            ELSE true END
    ),
    new_key AS (
        INSERT INTO rr.usage_key (tenant_id, idempotency_key, event_id, contract_id, usage_date)
        SELECT $2, ok.idempotency_key, ok.event_id, ok.found, ok.usage_date
          FROM ok
         WHERE ok.idempotency_key IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING event_id
    ),
    new_event AS (
        -- the events without a key and those whose key is new (every new key is an event's,
        -- so the full join adds no row without one)
        INSERT INTO rr.usage_event (tenant_id, contract_id, line_no, usage_date, event_id, quantity, occurred_at,
                                    idempotency_key, properties)
        SELECT $2, ok.found, ok.line_no, ok.usage_date, ok.event_id, ok.quantity, ok.occurred_at,
               ok.idempotency_key, ok.properties
          FROM ok FULL JOIN new_key ON new_key.event_id = ok.event_id
         WHERE ok.idempotency_key IS NULL OR new_key.event_id IS NOT NULL
        RETURNING contract_id, line_no, usage_date, event_id
    ),
    arrival AS (
        -- per line, the batch's first new event and earliest usage date, for the next billing
        -- run (rr.usage_arrival: a date before what the line is rated to makes it rate the
        -- line whole; written whatever the state, so ingestion never waits for a run)
        INSERT INTO rr.usage_arrival (tenant_id, contract_id, line_no, event_id, usage_date)
        SELECT $2, n.contract_id, n.line_no, min(n.event_id), min(n.usage_date)
          FROM new_event n
         GROUP BY n.contract_id, n.line_no
    )
    SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM new_event)
    $q$, rr_internal.usage_batch_source(kind, tenant_id, true))
    INTO received, recorded USING arg, tenant_id, kind;
EXCEPTION WHEN OTHERS THEN
    -- re-raised here, so the refusal does not carry the whole statement as its context
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
END
$$;
COMMENT ON FUNCTION rr_internal.ingest_usage(text, text, anyelement) IS 'internal: validates and records a batch of usage events in one statement (refusing the whole batch at its first bad event), skipping events whose idempotency key is known; returns how many events it received and how many were new';

-- What can be checked of a batch before any partition is created for it: missing values,
-- quantities (rr.check_number's limits) and timestamps, each refused naming the event, and
-- the months the batch spans (at most 36, so one batch creates at most 38 partitions).
CREATE FUNCTION rr_internal.check_usage_batch(tenant_id text, kind text, arg anyelement)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lo date;
    hi date;
    e_state text;
    e_message text;
    e_detail text;
    e_hint text;
BEGIN
    EXECUTE format($q$
        SELECT min((s.occurred_at AT TIME ZONE 'UTC')::date), max((s.occurred_at AT TIME ZONE 'UTC')::date)
          FROM (%s) s
         WHERE CASE
            WHEN s.quantity IS NULL THEN
                rr_internal.refuse_usage_event($2, s.pos, '22004', 'quantity is missing')
            WHEN s.quantity IN ('NaN', 'Infinity', '-Infinity') THEN
                rr_internal.refuse_usage_event($2, s.pos, '22023', format('quantity "%%s" is not a finite number', s.quantity))
            WHEN NOT rr.is_valid_number(s.quantity) THEN
                rr_internal.refuse_usage_event($2, s.pos, '22003', format('quantity "%%s" is out of range', s.quantity),
                    NULL, 'Quantities must lie strictly between -10^15 and 10^15.')
            WHEN s.occurred_at IS NULL THEN
                rr_internal.refuse_usage_event($2, s.pos, '22004', 'occurred_at is missing')
            WHEN s.item IS NULL THEN
                rr_internal.refuse_usage_event($2, s.pos, '22004', 'item is missing')
            WHEN s.contract_id IS NULL AND s.customer IS NULL THEN
                rr_internal.refuse_usage_event($2, s.pos, '22004', 'neither contract_id nor customer is given')
            -- a time zone moves a date by less than a day; the exact date is checked later
            WHEN NOT isfinite(s.occurred_at)
                 OR NOT daterange(lower(rr.usage_date_range()) - 1, upper(rr.usage_date_range()) + 1)
                        @> (s.occurred_at AT TIME ZONE 'UTC')::date THEN
                rr_internal.refuse_usage_event($2, s.pos, '22008',
                    format('occurred_at %%s is outside the dates usage can be recorded for', s.occurred_at),
                    format('Usage dates must lie in %%s.', rr.usage_date_range()))
            ELSE true END
    $q$, rr_internal.usage_batch_source(kind, tenant_id, false)) INTO lo, hi USING arg, kind;
    IF (extract(year FROM hi) * 12 + extract(month FROM hi)) - (extract(year FROM lo) * 12 + extract(month FROM lo)) >= 36 THEN
        RAISE EXCEPTION 'usage batch spans % months, from % to %',
                        (extract(year FROM hi) * 12 + extract(month FROM hi))
                        - (extract(year FROM lo) * 12 + extract(month FROM lo)) + 1, lo, hi
            USING ERRCODE = '54000',
                  DETAIL = 'A batch may hold events of at most 36 calendar months. Nothing was recorded.',
                  HINT = 'Split the batch by month of occurred_at.';
    END IF;
EXCEPTION WHEN OTHERS THEN
    -- re-raised here, so the refusal does not carry the whole statement as its context
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
END
$$;
COMMENT ON FUNCTION rr_internal.check_usage_batch(text, text, anyelement) IS 'internal: refuses a usage batch before any partition is created for it: an event with a missing value, a quantity that is not finite or out of range, or a timestamp outside the usage dates (naming the event), or a batch spanning more than 36 months (54000)';

-- Partitions for the occurred_at values of a batch: the months of [min - 1 day,
-- max + 1 day] (a time zone moves a date by less than a day), or, for a batch spanning
-- more than two years, the months it has events in.  Timestamps outside the usage date
-- range are left to the ingestion statement, which refuses them.  Partitions are shared
-- by every tenant, so a tenant's ingestion creates only those of the months from ten
-- years before the current month to two years after it (at most 144, whatever dates its
-- contracts and events have); a batch that needs one further away is refused until an
-- administrator creates it (rr.create_usage_partitions).
CREATE FUNCTION rr_internal.ensure_usage_partitions_for(tenant_id text, kind text, arg anyelement)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lo date;
    hi date;
    n integer := 0;
    m date;
    far date;
    source text := rr_internal.usage_batch_source(kind, tenant_id, false);
    sane text := 's.occurred_at >= ''1899-12-30 00:00+00'' AND s.occurred_at < ''3000-01-02 00:00+00''';
BEGIN
    EXECUTE format('SELECT min(s.occurred_at AT TIME ZONE ''UTC'')::date - 1, max(s.occurred_at AT TIME ZONE ''UTC'')::date + 1
                      FROM (%s) s WHERE %s', source, sane)
       INTO lo, hi USING arg;
    IF lo IS NULL THEN
        RETURN 0;
    -- every month the batch spans has its partition: nothing to do, and the batch is not
    -- read again (the common case)
    ELSIF hi - lo <= 750 AND NOT rr_internal.usage_months_missing(lo, hi) THEN
        RETURN 0;
    END IF;
    -- (the months of events inside the usage dates: an event outside them is refused by
    -- the ingestion statement, with its own message)
    EXECUTE format('SELECT x.m FROM (SELECT DISTINCT date_trunc(''month'', (s.occurred_at AT TIME ZONE ''UTC'') + d.d)::date AS m
                                        FROM (%s) s CROSS JOIN (VALUES (interval ''-1 day''), (interval ''1 day'')) d(d)
                                       WHERE %s AND rr.usage_date_range() @> (s.occurred_at AT TIME ZONE ''UTC'')::date) x
                     WHERE (x.m < date_trunc(''month'', current_date) - interval ''10 years''
                            OR x.m >= date_trunc(''month'', current_date) + interval ''2 years'')
                       AND rr.usage_date_range() @> x.m
                       AND to_regclass(format(''rr.usage_event_y%%sm%%s'', to_char(x.m, ''YYYY''), to_char(x.m, ''MM''))) IS NULL
                     ORDER BY x.m
                     LIMIT 1', source, sane)
       INTO far USING arg;
    IF far IS NOT NULL THEN
        RAISE EXCEPTION 'usage of % has no partition, and ingestion creates partitions only for % to %',
                        to_char(far, 'YYYY-MM'),
                        to_char(date_trunc('month', current_date) - interval '10 years', 'YYYY-MM'),
                        to_char(date_trunc('month', current_date) + interval '2 years' - interval '1 month', 'YYYY-MM')
            USING ERRCODE = '55000',
                  DETAIL = 'Partitions of rr.usage_event are shared by every tenant; one for a month further from the present is created by an administrator.',
                  HINT = 'Have an administrator run rr.create_usage_partitions for that month first (docs/usage.md).';
    END IF;
    IF hi - lo <= 750 THEN
        RETURN rr_internal.ensure_usage_partitions(lo, hi);
    END IF;
    FOR m IN EXECUTE format('SELECT DISTINCT date_trunc(''month'', (s.occurred_at AT TIME ZONE ''UTC'') + d.d)::date
                               FROM (%s) s CROSS JOIN (VALUES (interval ''-1 day''), (interval ''1 day'')) d(d)
                              WHERE %s', source, sane)
                 USING arg
    LOOP
        n := n + rr_internal.ensure_usage_partitions(m, (m + interval '1 month')::date - 1);
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_usage_partitions_for(text, text, anyelement) IS 'internal: creates the monthly partitions the events of a batch need';

-- One event.
CREATE FUNCTION rr.record_usage(contract_id bigint, item text, quantity numeric, occurred_at timestamptz,
                                idempotency_key text DEFAULT NULL, properties jsonb DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN rr.record_usage(ARRAY[ROW(contract_id, NULL, item, quantity, occurred_at, idempotency_key,
                                     properties)::rr.usage_record]);
END
$$;
COMMENT ON FUNCTION rr.record_usage(bigint, text, numeric, timestamptz, text, jsonb) IS 'records one usage event of a contract: the contract item (or metered item) it is for, quantity, when it occurred, an optional idempotency key (a repeated key is ignored) and properties; returns 1 if recorded, 0 if its key was known already';

-- A batch of events, accepted whole or refused whole.
CREATE FUNCTION rr.record_usage(events rr.usage_record[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    res record;
BEGIN
    IF events IS NULL THEN
        RAISE EXCEPTION 'usage events must not be NULL' USING ERRCODE = '22004';
    ELSIF cardinality(events) > 100000 THEN
        -- one call is one statement holding its locks: bulk loads go through COPY and
        -- rr.merge_usage_staging(), or several calls
        RAISE EXCEPTION 'usage batch of % events is too large', cardinality(events)
            USING ERRCODE = '54000',
                  DETAIL = 'rr.record_usage takes at most 100,000 events a call. Nothing was recorded.',
                  HINT = 'Split the batch, or COPY the events into rr.usage_staging and call rr.merge_usage_staging().';
    END IF;
    PERFORM rr_internal.check_usage_batch(t, 'batch', events);
    PERFORM rr_internal.ensure_usage_partitions_for(t, 'batch', events);
    res := rr_internal.ingest_usage(t, 'batch', events);
    RETURN res.recorded;
END
$$;
COMMENT ON FUNCTION rr.record_usage(rr.usage_record[]) IS 'records a batch of usage events in one statement: all or none (a bad event refuses the batch, naming its 1-based position); events whose idempotency key is known already, or repeated within the batch, are ignored; returns the number of new events';

-- COPY for the application roles: PostgreSQL refuses COPY FROM into a table with row
-- security for a role that does not bypass it (rr.usage_staging forces it, as every
-- tenant table does), but accepts COPY FROM into a view with an INSTEAD OF INSERT
-- trigger.  Each row is staged by an INSERT of the caller, under the tenant's policy; the
-- columns' domains check each value as COPY reads it.
CREATE VIEW rr.usage_intake WITH (security_invoker = true) AS
SELECT s.contract_id, s.customer, s.item, s.quantity, s.occurred_at, s.idempotency_key, s.properties
  FROM rr.usage_staging s;
COMMENT ON VIEW rr.usage_intake IS 'bulk usage ingestion for application roles: COPY rr.usage_intake (contract_id or customer, item, quantity, occurred_at, idempotency_key, properties) FROM ... stages each row in rr.usage_staging for the current tenant (a row trigger; COPY into rr.usage_staging itself needs a role that bypasses row security); then call rr.merge_usage_staging()';
COMMENT ON COLUMN rr.usage_intake.contract_id IS 'contract the event belongs to; NULL to name the customer instead';
COMMENT ON COLUMN rr.usage_intake.customer IS 'customer code, when contract_id is NULL: its one contract with a line for the item on the usage date';
COMMENT ON COLUMN rr.usage_intake.item IS 'contract item (or metered item) of the usage line';
COMMENT ON COLUMN rr.usage_intake.quantity IS 'quantity used: a finite number within the limits of amounts (rr.usage_quantity), negative only where the item allows corrections';
COMMENT ON COLUMN rr.usage_intake.occurred_at IS 'when the usage occurred; its usage date is taken in the customer''s time zone (rr.usage_time: a business date in UTC)';
COMMENT ON COLUMN rr.usage_intake.idempotency_key IS 'optional key: an event whose key the tenant has recorded already is ignored';
COMMENT ON COLUMN rr.usage_intake.properties IS 'optional properties of the event (jsonb), kept with it';

CREATE FUNCTION rr_internal.usage_intake_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO rr.usage_staging (contract_id, customer, item, quantity, occurred_at, idempotency_key, properties)
    VALUES (NEW.contract_id, NEW.customer, NEW.item, NEW.quantity, NEW.occurred_at, NEW.idempotency_key,
            NEW.properties);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION rr_internal.usage_intake_row() IS 'internal: trigger of rr.usage_intake: stages the row in rr.usage_staging as the caller, for the current tenant';
REVOKE ALL ON FUNCTION rr_internal.usage_intake_row() FROM PUBLIC;
CREATE TRIGGER usage_intake_row INSTEAD OF INSERT ON rr.usage_intake
    FOR EACH ROW EXECUTE FUNCTION rr_internal.usage_intake_row();

-- COPY's way in: move the tenant's staged events into rr.usage_event.
CREATE FUNCTION rr.merge_usage_staging()
RETURNS TABLE (received bigint, recorded bigint, duplicates bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    hi_id bigint;
    res record;
BEGIN
    -- the rows staged when the merge starts (rows staged meanwhile wait for the next
    -- merge); the ingestion statement deletes them itself, so two merges never take the
    -- same row, and a refused batch stays staged for correction
    SELECT max(s.staging_id) INTO hi_id FROM rr.usage_staging s WHERE s.tenant_id = t;
    IF hi_id IS NULL THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint;
        RETURN;
    END IF;
    PERFORM rr_internal.check_usage_batch(t, 'staging', hi_id);
    PERFORM rr_internal.ensure_usage_partitions_for(t, 'staging', hi_id);
    res := rr_internal.ingest_usage(t, 'staging', hi_id);
    RETURN QUERY SELECT res.received, res.recorded, res.received - res.recorded;
END
$$;
COMMENT ON FUNCTION rr.merge_usage_staging() IS 'moves the current tenant''s events staged in rr.usage_staging (e.g. by COPY) into rr.usage_event in one statement: all or none (a bad event refuses the merge, naming its staging_id, and the rows stay staged); returns how many were received, recorded and ignored as duplicate keys';
