-- Discounts that belong to specific performance obligations (ASC 606-10-32-37;
-- docs/one-off-charges.md, "Discounts and allocation").  By default a contract's discounts
-- are part of its transaction price, which activation allocates across all its obligations
-- by relative standalone selling price (ASC 606-10-32-36) when it allocates at all.
-- rr.allocate_discount_to names the contract lines whose obligations a discount belongs to:
-- rr_internal.create_obligations then allocates the price without that discount by relative
-- SSP, and the discount to the named obligations only, by their relative SSP.  Invoicing
-- is not changed: the discount is billed as its agreement says (rr.discount).

CREATE TABLE rr.discount_obligation (
    tenant_id    text NOT NULL,
    discount_id  bigint NOT NULL,
    line_no      integer NOT NULL,
    contract_id  bigint NOT NULL,
    CONSTRAINT discount_obligation_pkey PRIMARY KEY (tenant_id, discount_id, line_no),
    CONSTRAINT discount_obligation_discount_fkey FOREIGN KEY (tenant_id, discount_id) REFERENCES rr.discount (tenant_id, discount_id),
    CONSTRAINT discount_obligation_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id)
);
COMMENT ON TABLE rr.discount_obligation IS 'the contract lines whose performance obligations a discount belongs to (ASC 606-10-32-37): when the contract''s price is allocated by relative SSP, the discount is allocated to these obligations only, by their relative SSP; set with rr.allocate_discount_to before activation';
COMMENT ON COLUMN rr.discount_obligation.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.discount_obligation.discount_id IS 'the discount agreement (rr.discount)';
COMMENT ON COLUMN rr.discount_obligation.line_no IS 'a contract line whose obligation the discount belongs to';
COMMENT ON COLUMN rr.discount_obligation.contract_id IS 'the discount''s contract';

CREATE FUNCTION rr.allocate_discount_to(discount_id bigint, lines integer[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    d rr.discount;
    c rr.contract;
    before jsonb;
    bad integer;
    n integer;
    no integer;
BEGIN
    SELECT * INTO d FROM rr.discount x WHERE x.tenant_id = t AND x.discount_id = allocate_discount_to.discount_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'discount % does not exist', allocate_discount_to.discount_id
            USING ERRCODE = 'P0002', HINT = 'Discount ids are per tenant; rr.add_discount returns them.';
    END IF;
    c := rr_internal.contract_for_action(t, d.contract_id, 'allocate a discount of', ARRAY['draft', 'pending_activation']);
    before := rr_internal.contract_snapshot(t, c.contract_id);
    IF lines IS NULL OR cardinality(lines) = 0 OR array_position(lines, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'a discount is allocated to at least one contract line'
            USING ERRCODE = '22023',
                  HINT = 'Name the contract lines whose obligations the discount belongs to, without NULLs.';
    END IF;
    SELECT x INTO bad FROM (SELECT DISTINCT x FROM unnest(lines) AS x) u
     WHERE NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = t AND l.contract_id = c.contract_id
                                                       AND l.line_no = x)
     ORDER BY x LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'contract % has no line %', c.contract_id, bad USING ERRCODE = '22023';
    END IF;
    DELETE FROM rr.discount_obligation x WHERE x.tenant_id = t AND x.discount_id = d.discount_id;
    -- one INSERT ... VALUES per line named (a contract's handful): an INSERT ... SELECT from
    -- the array is planned by Citus on the coordinator as a modification of any shard, which
    -- commits the transaction in two phases, and a transaction that then activates the
    -- contract (revenue planned on the tenant's worker, with work tables) cannot
    -- (docs/scale-out.md)
    n := 0;
    FOREACH no IN ARRAY ARRAY(SELECT DISTINCT x FROM unnest(lines) AS x ORDER BY 1) LOOP
        INSERT INTO rr.discount_obligation (tenant_id, discount_id, line_no, contract_id)
        VALUES (t, d.discount_id, no, c.contract_id);
        n := n + 1;
    END LOOP;
    PERFORM rr_internal.log_contract_event(t, c.contract_id, 'allocate_discount', NULL,
                                           format('discount %s belongs to line(s) %s', d.discount_id,
                                                  array_to_string(ARRAY(SELECT DISTINCT x FROM unnest(lines) AS x ORDER BY 1), ', ')),
                                           before);
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr.allocate_discount_to(bigint, integer[]) IS 'before activation: says a discount belongs to the obligations of the named contract lines (ASC 606-10-32-37), so SSP allocation gives it to them only, by their relative SSP, and allocates the rest of the price across all obligations; replaces an earlier choice; logged in the contract''s events; returns the number of lines';
