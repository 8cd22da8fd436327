-- Minimum commitments (docs/commitments-and-wallets.md): a contract commits to spend at
-- least an amount per committed period (every `every` from the contract start) or per term
-- (the contract's term, each renewal a new term), on all its lines or on some of them.
-- At the end of each committed period the billing run charges the shortfall, committed -
-- spent and never negative, as a charge of kind true_up on the commitment's true-up line
-- (rr_internal.bill, src/sql/85_workflows/20_billing_run.sql, with
-- rr_internal.true_up_periods below).  Spent is the sum of the contract's charges on the
-- committed lines whose service period starts in the committed period (recurring, usage,
-- setup, renewal, proration, discounts, adjustments; not deposits, tax or true-ups).

CREATE TABLE rr.contract_commitment (
    tenant_id       text NOT NULL,
    contract_id     bigint NOT NULL,
    commitment_no   integer NOT NULL,
    amount          numeric NOT NULL,
    per             text NOT NULL,
    every           interval,
    line_nos        integer[],
    true_up_line_no integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role    name NOT NULL DEFAULT rr_internal.session_role(),
    CONSTRAINT contract_commitment_pkey PRIMARY KEY (tenant_id, contract_id, commitment_no),
    CONSTRAINT contract_commitment_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_commitment_per_check CHECK (per IN ('period', 'term') AND ((per = 'period') = (every IS NOT NULL))),
    CONSTRAINT contract_commitment_amount_check CHECK (amount > 0),
    CONSTRAINT contract_commitment_lines_check CHECK (line_nos IS NULL OR cardinality(line_nos) > 0),
    CONSTRAINT contract_commitment_limit_check CHECK (rr.check_number('amount', amount))
);
COMMENT ON TABLE rr.contract_commitment IS 'minimum spend commitments of contracts (append-only): the amount committed per period or per term, the lines whose charges count (NULL: all), and the line the true-up of a shortfall is billed on';
COMMENT ON COLUMN rr.contract_commitment.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.contract_commitment.contract_id IS 'contract committed';
COMMENT ON COLUMN rr.contract_commitment.commitment_no IS 'number of the commitment within the contract (1, 2, ...); the adjustment sequence of its true-up charges';
COMMENT ON COLUMN rr.contract_commitment.amount IS 'minimum spend per committed period, in whole minor units of the contract currency';
COMMENT ON COLUMN rr.contract_commitment.per IS 'period (every committed period of length every, from the contract start) or term (each term of the contract: the first, then each renewal)';
COMMENT ON COLUMN rr.contract_commitment.every IS 'length of a committed period when per = period (whole months or days, as a billing period); NULL when per = term';
COMMENT ON COLUMN rr.contract_commitment.line_nos IS 'contract lines whose charges count towards the commitment; NULL: every line of the contract';
COMMENT ON COLUMN rr.contract_commitment.true_up_line_no IS 'contract line the true-up charge is billed on: its item, accounts and performance obligation carry the true-up''s revenue';
COMMENT ON COLUMN rr.contract_commitment.created_at IS 'when the commitment was added';
COMMENT ON COLUMN rr.contract_commitment.session_role IS 'session user who added it';

CREATE TRIGGER contract_commitment_append_only
    BEFORE UPDATE OR DELETE ON rr.contract_commitment
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER contract_commitment_no_truncate
    BEFORE TRUNCATE ON rr.contract_commitment
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- The committed periods of a commitment that ended, with their usage grace, by as_of: per
-- period, [start + k*every, start + (k+1)*every) cut at the end of the contract (its
-- termination, or the end of its last term); per term, each term (the first, then each
-- renewal's).  A period counts as ended once the longest usage grace of the contract's
-- lines has passed too, so the run that bills its last usage trues it up.
CREATE FUNCTION rr_internal.true_up_periods(tenant_id text, contract_id bigint, commitment_no integer, as_of date)
RETURNS SETOF daterange
LANGUAGE sql STABLE ROWS 12
SET search_path = pg_catalog, pg_temp
AS $$
    -- (every table filtered by the tenant argument itself: on Citus this runs inside the
    -- billing run delegated to the tenant's worker, which refuses any piece of a statement
    -- it cannot tell is the tenant's)
    WITH k AS (
        SELECT c.contract_id, c.per, c.every, k.start_date,
               coalesce(k.termination_date, k.end_date) AS stop,
               (SELECT coalesce(max(ci.usage_grace_days), 0)
                  FROM rr.contract_line l JOIN rr.contract_item ci ON ci.tenant_id = $1 AND ci.code = l.contract_item
                 WHERE l.tenant_id = $1 AND l.contract_id = k.contract_id) AS grace
          FROM rr.contract_commitment c
          JOIN rr.contract k ON k.tenant_id = $1 AND k.contract_id = c.contract_id
         WHERE c.tenant_id = $1 AND c.contract_id = $2 AND c.commitment_no = $3
    ), p AS (
        SELECT p AS period, k.grace
          FROM k CROSS JOIN LATERAL rr.billing_periods(k.start_date, least(coalesce(k.stop, $4 + 1), $4 + 1), k.every, k.start_date) p
         WHERE k.per = 'period'
        UNION ALL
        SELECT daterange(b.lo, b.hi), k.grace
          FROM k
         CROSS JOIN LATERAL (SELECT x.b AS lo, lead(x.b) OVER (ORDER BY x.b) AS hi
                               FROM (SELECT k.start_date AS b
                                     UNION SELECT r.previous_end FROM rr.contract_renewal r
                                            WHERE r.tenant_id = $1 AND r.contract_id = k.contract_id
                                     UNION SELECT k.stop WHERE k.stop IS NOT NULL) x) b
         WHERE k.per = 'term' AND b.hi IS NOT NULL AND b.hi > b.lo
    )
    SELECT p.period FROM p WHERE upper(p.period) + p.grace <= $4 ORDER BY p.period
$$;
COMMENT ON FUNCTION rr_internal.true_up_periods(text, bigint, integer, date) IS 'internal: the committed periods of a commitment that ended by as_of (with the longest usage grace of the contract''s lines): every `every` from the contract start, or each term, cut at the end or termination of the contract';

CREATE FUNCTION rr.add_commitment(contract_id bigint, amount numeric, per text DEFAULT 'term', every interval DEFAULT NULL,
                                  line_nos integer[] DEFAULT NULL, true_up_line integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    k rr.contract;
    mu integer;
    amt numeric;
    bad integer;
    tl integer;
    n integer;
    lines integer[];
BEGIN
    IF add_commitment.contract_id IS NULL THEN
        RAISE EXCEPTION 'contract id must not be NULL' USING ERRCODE = '22004';
    END IF;
    k := rr_internal.contract_for_action(t, add_commitment.contract_id, 'commit',
                                         ARRAY['draft', 'pending_activation', 'active', 'pending_upgrade']);
    mu := rr.minor_units(k.currency::text);
    IF add_commitment.amount IS NULL THEN
        RAISE EXCEPTION 'committed amount must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_number('committed amount', add_commitment.amount);
    IF add_commitment.amount <= 0 THEN
        RAISE EXCEPTION 'committed amount "%" is not positive', add_commitment.amount
            USING ERRCODE = '22023', HINT = 'A commitment is a minimum spend greater than zero.';
    ELSIF add_commitment.amount <> round(add_commitment.amount, mu) THEN
        RAISE EXCEPTION 'committed amount "%" is not a whole number of minor units', add_commitment.amount
            USING ERRCODE = '22023', DETAIL = format('%s has %s decimal places.', k.currency, mu),
                  HINT = format('Round the amount to %s decimal places first.', mu);
    END IF;
    amt := round(add_commitment.amount, mu);
    IF add_commitment.per IS NULL THEN
        RAISE EXCEPTION 'commitment period must not be NULL' USING ERRCODE = '22004';
    ELSIF add_commitment.per NOT IN ('period', 'term') THEN
        RAISE EXCEPTION 'unknown commitment period "%"', add_commitment.per
            USING ERRCODE = '22023', HINT = 'Commit per period (with every, such as ''1 year'') or per term.';
    ELSIF add_commitment.per = 'period' AND add_commitment.every IS NULL THEN
        RAISE EXCEPTION 'a commitment per period needs its length (every)'
            USING ERRCODE = '22023', HINT = 'Give every, such as ''1 month'', ''3 months'' or ''1 year''.';
    ELSIF add_commitment.per = 'term' AND add_commitment.every IS NOT NULL THEN
        RAISE EXCEPTION 'a commitment per term takes no period length (every)'
            USING ERRCODE = '22023', HINT = 'Commit per period to give every.';
    ELSIF add_commitment.per = 'term' AND k.end_date IS NULL THEN
        RAISE EXCEPTION 'contract % has no end date: a commitment per term needs one', k.contract_id
            USING ERRCODE = '22023', HINT = 'Commit per period instead.';
    END IF;
    IF add_commitment.every IS NOT NULL THEN
        -- refuses what a billing period refuses (22023, with the hint of what is allowed)
        PERFORM rr.billing_periods(date '2000-01-01', date '2000-01-02', add_commitment.every);
        IF extract(year FROM add_commitment.every) * 12 + extract(month FROM add_commitment.every) > 1200
           OR extract(day FROM add_commitment.every) > 36525 THEN
            RAISE EXCEPTION 'commitment period "%" is longer than 100 years', add_commitment.every
                USING ERRCODE = '22023', HINT = 'A committed period lasts at most 100 years (1200 months or 36525 days), as a contract term does.';
        END IF;
    END IF;
    IF add_commitment.line_nos IS NOT NULL THEN
        IF cardinality(add_commitment.line_nos) = 0 OR array_position(add_commitment.line_nos, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'committed lines must not be empty or contain NULL'
                USING ERRCODE = '22023', HINT = 'List the contract line numbers, or pass NULL for every line.';
        END IF;
        SELECT x INTO bad FROM unnest(add_commitment.line_nos) x
         WHERE NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = t AND l.contract_id = k.contract_id
                                                             AND l.line_no = x)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'contract % has no line %', k.contract_id, bad
                USING ERRCODE = '22023', HINT = 'Commit lines of the contract (rr.contract_line).';
        END IF;
    END IF;
    -- by default the first committed line whose item can carry the true-up
    tl := coalesce(add_commitment.true_up_line,
                   (SELECT min(l.line_no) FROM rr.contract_line l
                      JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
                     WHERE l.tenant_id = t AND l.contract_id = k.contract_id
                       AND (add_commitment.line_nos IS NULL OR l.line_no = ANY (add_commitment.line_nos))
                       AND ci.recurring_item IS NOT NULL AND ci.billing_type <> 'deposit'),
                   (SELECT min(x) FROM unnest(add_commitment.line_nos) x),
                   (SELECT min(l.line_no) FROM rr.contract_line l WHERE l.tenant_id = t AND l.contract_id = k.contract_id));
    IF tl IS NULL OR NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = t AND l.contract_id = k.contract_id
                                                                  AND l.line_no = tl) THEN
        RAISE EXCEPTION 'contract % has no line %', k.contract_id, coalesce(tl::text, 'to bill a true-up on')
            USING ERRCODE = '22023', HINT = 'The true-up is billed on a line of the contract (rr.contract_line).';
    END IF;
    IF NOT EXISTS (SELECT FROM rr.contract_line l JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
                    WHERE l.tenant_id = t AND l.contract_id = k.contract_id AND l.line_no = tl
                      AND ci.recurring_item IS NOT NULL AND ci.billing_type <> 'deposit') THEN
        RAISE EXCEPTION 'cannot bill a true-up on line % of contract %: its contract item has no recurring item', tl, k.contract_id
            USING ERRCODE = '22023',
                  HINT = 'Bill the true-up on a recurring or usage line (not a deposit or setup-only line): its item carries the revenue.';
    END IF;
    SELECT coalesce(max(c.commitment_no), 0) + 1 INTO n
      FROM rr.contract_commitment c WHERE c.tenant_id = t AND c.contract_id = k.contract_id;
    -- (the lines sorted first, in a statement of their own: Citus refuses a sub-query in
    -- an INSERT's VALUES, "subqueries are not supported within INSERT queries")
    lines := (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(add_commitment.line_nos) x);
    INSERT INTO rr.contract_commitment (tenant_id, contract_id, commitment_no, amount, per, every, line_nos, true_up_line_no)
    VALUES (t, k.contract_id, n, amt, add_commitment.per, add_commitment.every, lines, tl);
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr.add_commitment(bigint, numeric, text, interval, integer[], integer) IS 'adds a minimum spend commitment to a contract that is not closed: amount per term (default) or per period of length every from the contract start, on the listed lines (NULL: all); each committed period that ends is trued up by the billing run (a true_up charge of committed - spent, never negative, on true_up_line, by default the first committed line with a recurring item, not a deposit); returns the commitment number';
