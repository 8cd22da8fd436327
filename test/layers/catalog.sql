-- The references test/layers/check.pl checks, read from a database where the extension is
-- installed (test/layers/run): records "dep" (pg_depend), "src" (function bodies kept as
-- strings) and "obj" (what the extension created), with fields kind and schema.name.

-- kind and name of a catalog object, the way check.pl names the objects of src/sql/: a
-- row type, an array type and a view's rule stand for their relation, element or view;
-- defaults, constraints, triggers, policies and indexes carry their table's name
CREATE FUNCTION pg_temp.obj(c oid, o oid)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r text[];
BEGIN
    IF c = 'pg_proc'::regclass THEN
        SELECT ARRAY['FUNCTION', n.nspname || '.' || p.proname] INTO r
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = o;
    ELSIF c = 'pg_class'::regclass THEN
        SELECT CASE WHEN k.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') THEN ARRAY['TABLE', n.nspname || '.' || k.relname]
                    WHEN k.relkind = 'c' THEN ARRAY['TYPE', n.nspname || '.' || k.relname]
                    WHEN k.relkind IN ('i', 'I') THEN
                        (SELECT ARRAY['INDEX', n.nspname || '.' || t.relname || '.' || k.relname]
                           FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid WHERE x.indexrelid = k.oid) END
          INTO r
          FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = o;
    ELSIF c = 'pg_type'::regclass THEN
        SELECT CASE WHEN t.typrelid <> 0 THEN pg_temp.obj('pg_class'::regclass, t.typrelid)
                    WHEN t.typelem <> 0 AND t.typsubscript = 'array_subscript_handler'::regproc
                        THEN pg_temp.obj('pg_type'::regclass, t.typelem)
                    WHEN t.typtype = 'd' THEN ARRAY['DOMAIN', n.nspname || '.' || t.typname]
                    ELSE ARRAY['TYPE', n.nspname || '.' || t.typname] END
          INTO r
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = o;
    ELSIF c = 'pg_rewrite'::regclass THEN
        SELECT pg_temp.obj('pg_class'::regclass, w.ev_class) INTO r FROM pg_rewrite w WHERE w.oid = o;
    ELSIF c = 'pg_attrdef'::regclass THEN
        SELECT ARRAY['DEFAULT', n.nspname || '.' || k.relname || '.' || a.attname] INTO r
          FROM pg_attrdef d
          JOIN pg_class k ON k.oid = d.adrelid
          JOIN pg_namespace n ON n.oid = k.relnamespace
          JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
         WHERE d.oid = o;
    ELSIF c = 'pg_constraint'::regclass THEN
        SELECT ARRAY['CONSTRAINT', n.nspname || '.' || coalesce(k.relname, t.typname) || '.' || x.conname] INTO r
          FROM pg_constraint x
          JOIN pg_namespace n ON n.oid = x.connamespace
          LEFT JOIN pg_class k ON k.oid = x.conrelid
          LEFT JOIN pg_type t ON t.oid = x.contypid
         WHERE x.oid = o;
    ELSIF c = 'pg_trigger'::regclass THEN
        SELECT ARRAY['TRIGGER', n.nspname || '.' || k.relname || '.' || g.tgname] INTO r
          FROM pg_trigger g JOIN pg_class k ON k.oid = g.tgrelid JOIN pg_namespace n ON n.oid = k.relnamespace
         WHERE g.oid = o;
    ELSIF c = 'pg_policy'::regclass THEN
        SELECT ARRAY['POLICY', n.nspname || '.' || k.relname || '.' || y.polname] INTO r
          FROM pg_policy y JOIN pg_class k ON k.oid = y.polrelid JOIN pg_namespace n ON n.oid = k.relnamespace
         WHERE y.oid = o;
    END IF;
    RETURN r;
END
$$;

-- pg_depend's normal dependencies of the objects in the extension's schemas
SELECT 'dep', a[1], a[2], b[1], b[2]
  FROM pg_depend d
 CROSS JOIN LATERAL pg_temp.obj(d.classid, d.objid) a
 CROSS JOIN LATERAL pg_temp.obj(d.refclassid, d.refobjid) b
 WHERE d.deptype = 'n'
   AND split_part(a[2], '.', 1) IN ('rr', 'rr_internal')
   AND split_part(b[2], '.', 1) IN ('rr', 'rr_internal')
   AND a IS DISTINCT FROM b
 ORDER BY 2, 3, 4, 5;

-- the bodies of the functions whose body is a string
SELECT 'src', n.nspname || '.' || p.proname, p.prosrc
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
 WHERE n.nspname IN ('rr', 'rr_internal') AND l.lanname IN ('plpgsql', 'sql') AND p.prosqlbody IS NULL
 ORDER BY p.oid;

-- what the extension created: its functions, relations and types
SELECT DISTINCT 'obj', o[1], o[2]
  FROM pg_depend d
 CROSS JOIN LATERAL pg_temp.obj(d.classid, d.objid) o
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT e.oid FROM pg_extension e WHERE e.extname = 'recurring_revenue')
   AND o[1] IN ('FUNCTION', 'TABLE', 'TYPE', 'DOMAIN')
   -- not the sequences of identity columns, made with their table
   AND NOT EXISTS (SELECT FROM pg_depend i
                    WHERE i.classid = 'pg_class'::regclass AND i.objid = d.objid
                      AND i.refclassid = 'pg_class'::regclass AND i.deptype IN ('a', 'i'))
 ORDER BY 2, 3;
