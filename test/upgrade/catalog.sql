-- The extension's catalog as sorted text lines, one property of one object per line, so
-- that two databases can be compared with diff (test/upgrade/run).  Covers schemas,
-- tables and their columns, constraints, indexes, triggers, row security and policies,
-- views, sequences, types, functions, operators, casts, comments, privileges, extension
-- membership and the tables pg_dump dumps.  Columns are compared by name, not position
-- (an upgrade adds columns at the end of a table; nothing in the extension depends on
-- column positions).  Partitions of rr.usage_event are data, made by usage ingestion, and
-- are left out.
\pset tuples_only on
\pset format unaligned
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace WHERE nspname IN ('rr', 'rr_internal')
), rel AS (
    SELECT c.oid, c.oid::regclass::text AS name, c.relkind, c.relacl, c.reloptions,
           c.relrowsecurity, c.relforcerowsecurity, c.relpersistence, c.relispartition
      FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
     WHERE NOT c.relispartition  -- partitions (and their indexes) are made by usage ingestion
       AND NOT EXISTS (SELECT FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                        WHERE i.indexrelid = c.oid AND t.relispartition)
), fn AS (
    SELECT p.oid, p.oid::regprocedure::text AS name, p.proacl
      FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
), typ AS (
    SELECT t.oid, format_type(t.oid, NULL) AS name, t.typtype, t.typacl, t.typrelid
      FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
     WHERE t.typcategory <> 'A'  -- array types come with their element types
       AND (t.typrelid = 0 OR EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
), ext AS (
    SELECT d.classid, d.objid FROM pg_depend d
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'recurring_revenue')
), lines(line) AS (
    SELECT 'schema ' || nspname || ' acl=' || coalesce((SELECT nspacl::text FROM pg_namespace n WHERE n.oid = ns.oid), '')
           || ' comment=' || coalesce(obj_description(oid, 'pg_namespace'), '')
      FROM ns
    UNION ALL
    SELECT 'relation ' || name || ' kind=' || relkind::text || ' persistence=' || relpersistence::text
           || ' partition=' || relispartition || ' options=' || coalesce(reloptions::text, '')
           || ' acl=' || coalesce(relacl::text, '') || ' rls=' || relrowsecurity || '/' || relforcerowsecurity
           || ' member=' || (EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = rel.oid))
           || ' comment=' || coalesce(obj_description(oid, 'pg_class'), '')
      FROM rel
    UNION ALL
    SELECT 'column ' || rel.name || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
           || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
           || ' collation=' || coalesce((SELECT collname FROM pg_collation WHERE oid = a.attcollation AND a.attcollation <> 100), '')
           || ' acl=' || coalesce(a.attacl::text, '')
           || ' comment=' || coalesce(col_description(rel.oid, a.attnum), '')
      FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE rel.relkind <> 'i'
    UNION ALL
    SELECT 'constraint ' || rel.name || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
           || ' deferrable=' || co.condeferrable || '/' || co.condeferred || ' valid=' || co.convalidated
           || ' comment=' || coalesce(obj_description(co.oid, 'pg_constraint'), '')
      FROM rel JOIN pg_constraint co ON co.conrelid = rel.oid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' comment=' || coalesce(obj_description(i.indexrelid, 'pg_class'), '')
      FROM rel JOIN pg_index i ON i.indrelid = rel.oid
    UNION ALL
    SELECT 'trigger ' || rel.name || '.' || t.tgname || ' ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
      FROM rel JOIN pg_trigger t ON t.tgrelid = rel.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT 'policy ' || rel.name || '.' || p.polname || ' cmd=' || p.polcmd::text || ' permissive=' || p.polpermissive
           || ' roles=' || p.polroles::regrole[]::text || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
           || ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
      FROM rel JOIN pg_policy p ON p.polrelid = rel.oid
    UNION ALL
    SELECT 'view ' || rel.name || ' ' || pg_get_viewdef(rel.oid)
      FROM rel WHERE rel.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'sequence ' || rel.name || ' ' || format_type(s.seqtypid, NULL) || ' ' || s.seqstart || ' '
           || s.seqincrement || ' ' || s.seqmin || ' ' || s.seqmax || ' ' || s.seqcache || ' ' || s.seqcycle
      FROM rel JOIN pg_sequence s ON s.seqrelid = rel.oid
    UNION ALL
    SELECT 'type ' || typ.name || ' kind=' || typ.typtype::text || ' acl=' || coalesce(typ.typacl::text, '')
           || ' member=' || (EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = typ.oid))
           || ' comment=' || coalesce(obj_description(typ.oid, 'pg_type'), '')
           || coalesce(' attributes=' || (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                                           FROM pg_attribute a WHERE a.attrelid = typ.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '')
           || coalesce(' labels=' || (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = typ.oid), '')
           || coalesce(' domain=' || (SELECT format_type(t.typbasetype, t.typtypmod) || ' notnull=' || t.typnotnull
                                             || coalesce(' default=' || t.typdefault, '')
                                        FROM pg_type t WHERE t.oid = typ.oid AND t.typtype = 'd'), '')
           || coalesce(' base=' || (SELECT t.typinput::text || '/' || t.typoutput || '/' || t.typreceive || '/' || t.typsend
                                           || ' len=' || t.typlen || ' align=' || t.typalign::text || ' storage=' || t.typstorage::text
                                      FROM pg_type t WHERE t.oid = typ.oid AND t.typtype = 'b'), '')
      FROM typ
    UNION ALL
    SELECT 'domain constraint ' || typ.name || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM typ JOIN pg_constraint co ON co.contypid = typ.oid
    UNION ALL
    SELECT 'function ' || fn.name || ' acl=' || coalesce(fn.proacl::text, '')
           || ' member=' || (EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = fn.oid))
           || ' comment=' || coalesce(obj_description(fn.oid, 'pg_proc'), '')
           || ' definition=' || CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE pg_get_functiondef(fn.oid) END
      FROM fn JOIN pg_proc p ON p.oid = fn.oid
    UNION ALL
    SELECT 'operator ' || o.oid::regoperator::text || ' ' || o.oprcode::text || ' commutator=' || o.oprcom::regoperator::text
           || ' negator=' || o.oprnegate::regoperator::text || ' hashes=' || o.oprcanhash || ' merges=' || o.oprcanmerge
           || ' restrict=' || o.oprrest::text || ' join=' || o.oprjoin::text
           || ' comment=' || coalesce(obj_description(o.oid, 'pg_operator'), '')
      FROM pg_operator o JOIN ns ON ns.oid = o.oprnamespace
    UNION ALL
    SELECT 'opclass ' || am.amname || ' ' || nspname || '.' || oc.opcname || ' for ' || format_type(oc.opcintype, NULL)
           || ' default=' || oc.opcdefault
           || ' operators=' || coalesce((SELECT string_agg(ao.amopstrategy || ':' || ao.amopopr::regoperator::text, ', ' ORDER BY ao.amopstrategy)
                                           FROM pg_amop ao WHERE ao.amopfamily = oc.opcfamily), '')
           || ' procs=' || coalesce((SELECT string_agg(ap.amprocnum || ':' || ap.amproc::text, ', ' ORDER BY ap.amprocnum)
                                       FROM pg_amproc ap WHERE ap.amprocfamily = oc.opcfamily), '')
      FROM pg_opclass oc JOIN ns ON ns.oid = oc.opcnamespace JOIN pg_am am ON am.oid = oc.opcmethod
    UNION ALL
    SELECT 'cast ' || format_type(c.castsource, NULL) || ' -> ' || format_type(c.casttarget, NULL)
           || ' via ' || c.castfunc::regprocedure::text || ' context=' || c.castcontext::text || ' method=' || c.castmethod::text
           || ' comment=' || coalesce(obj_description(c.oid, 'pg_cast'), '')
      FROM pg_cast c JOIN ext ON ext.classid = 'pg_cast'::regclass AND ext.objid = c.oid
    UNION ALL
    SELECT 'dumped ' || cfg.tab::regclass::text || ' where=' || coalesce(cfg.cond, '')
      FROM pg_extension e,
           LATERAL unnest(e.extconfig, e.extcondition) AS cfg(tab, cond)
     WHERE e.extname = 'recurring_revenue'
    UNION ALL
    -- extension members outside the two schemas (there should be none but casts)
    SELECT 'member ' || pg_describe_object(ext.classid, ext.objid, 0)
      FROM ext
     WHERE ext.classid NOT IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass,
                               'pg_operator'::regclass, 'pg_opclass'::regclass, 'pg_opfamily'::regclass,
                               'pg_cast'::regclass, 'pg_namespace'::regclass)
)
SELECT line FROM lines ORDER BY line COLLATE "C";
