-- Property tests for the aggregates that sum a document's lines into the lines of its
-- journal entry (rr_internal.journal_accounts, rr_internal.journal_amounts,
-- rr_internal.journal_total, rr_internal.journal_line_nos: src/journal.c), which posting uses (docs/billing.md,
-- "Posting"): generated documents checked against the SQL that posting ran before them,
-- grouping sets per document, a zero sum left out, the lines ordered by side and account.
BEGIN;
SELECT plan(10);
SELECT setseed(0.4242);

-- 3,000 documents of 1 to 9 lines: a few receivable and credit accounts, upper and lower
-- case (their order is the collation's), amounts of scale 0 to 3 of either sign; every
-- fifth document also carries each of its lines negated, so that all its sums are zero,
-- and every seventh a line and its negation on one pair of accounts
CREATE TEMP TABLE jl_line ON COMMIT DROP AS
SELECT d, r, c, amount
  FROM (SELECT d, (ARRAY['1100', '1200', 'AR-b', 'ar-a', '12'])[1 + floor(random() * 5)::int] AS r,
               (ARRAY['4000', '2400', 'Rev', 'rev', '40', '4000-x'])[1 + floor(random() * 6)::int] AS c,
               round(((random() - 0.4) * 10000)::numeric, (ARRAY[0, 2, 2, 3])[1 + floor(random() * 4)::int]) AS amount
          FROM generate_series(1, 3000) AS d, generate_series(1, 9) AS n
         WHERE n <= 1 + d % 9) x;
INSERT INTO jl_line SELECT d, r, c, -amount FROM jl_line WHERE d % 5 = 0;
INSERT INTO jl_line SELECT d, '1100', '4000', v FROM generate_series(7, 3000, 7) AS d, unnest(ARRAY[12.50, -12.5]) AS v;

CREATE TEMP TABLE jl_got ON COMMIT DROP AS
SELECT d, rr_internal.journal_accounts(r, c, amount) AS accounts, rr_internal.journal_amounts(r, c, amount) AS amounts,
       rr_internal.journal_total(r, c, amount) AS total, rr_internal.journal_line_nos(r, c, amount) AS line_nos
  FROM jl_line GROUP BY d;

-- the reference: what posting computed per document before (a grouping by grouping sets,
-- the zero sums left out, the lines numbered by side and account)
CREATE TEMP TABLE jl_ref ON COMMIT DROP AS
SELECT t.d, coalesce(x.accounts, '{}') AS accounts, coalesce(x.amounts, '{}') AS amounts, t.total
  FROM (SELECT d, sum(amount) AS total FROM jl_line GROUP BY d) t
  LEFT JOIN (SELECT d, array_agg(account ORDER BY side, account) AS accounts,
                    array_agg(amount ORDER BY side, account) AS amounts
               FROM (SELECT d, GROUPING(r) + 1 AS side, coalesce(r, c) AS account,
                            CASE GROUPING(r) WHEN 0 THEN sum(amount) ELSE -sum(amount) END AS amount
                       FROM jl_line
                      GROUP BY d, GROUPING SETS ((r), (c))) g
              WHERE amount <> 0
              GROUP BY d) x ON x.d = t.d;

SELECT is((SELECT count(*) FROM jl_got), 3000::bigint, '3,000 generated documents summed');

SELECT is_empty($$
    SELECT r.d, r.accounts, g.accounts, r.amounts::text, g.amounts::text
      FROM jl_ref r JOIN jl_got g ON g.d = r.d
     WHERE r.accounts IS DISTINCT FROM g.accounts OR r.amounts::text IS DISTINCT FROM g.amounts::text
     LIMIT 5
$$, 'journal_accounts and journal_amounts: the receivable sums, then the credit sums negated, each side in the order of its accounts, zero sums left out, with the display scale of sum()');

SELECT is_empty($$
    SELECT r.d, r.total::text, g.total::text FROM jl_ref r JOIN jl_got g ON g.d = r.d
     WHERE r.total::text IS DISTINCT FROM g.total::text
     LIMIT 5
$$, 'journal_total: the sum of the document''s lines, with the display scale of sum()');

SELECT is((SELECT count(*) FROM jl_got WHERE accounts = '{}' AND amounts = '{}' AND total = 0),
          (SELECT count(*) FROM jl_ref WHERE accounts = '{}')::bigint,
          'a document whose every sum is zero has no entry lines and a total of zero');

SELECT cmp_ok((SELECT count(*) FROM jl_got WHERE accounts = '{}'), '>=', 600::bigint,
              'every fifth document nets to zero on every account');

SELECT is_empty($$
    SELECT g.d, g.accounts, g.line_nos FROM jl_got g
     WHERE cardinality(g.accounts) > 0
       AND g.line_nos IS DISTINCT FROM ARRAY(SELECT generate_series(1, cardinality(g.accounts)))
     LIMIT 5
$$, 'journal_line_nos: 1 to n, one number per entry line');

SELECT is((SELECT count(*) FROM jl_got WHERE accounts = '{}' AND line_nos = '{NULL}'),
          (SELECT count(*) FROM jl_got WHERE accounts = '{}'),
          'journal_line_nos: one NULL for a document whose every sum is zero');

-- the three arrays unnested in step, as posting does: one row per entry line, and one row
-- without a line number for a document without entry lines
SELECT is((SELECT count(*) FROM (SELECT unnest(g.accounts), unnest(g.amounts), unnest(g.line_nos) FROM jl_got g) x),
          (SELECT sum(greatest(cardinality(accounts), 1)) FROM jl_got)::bigint,
          'the arrays unnested in step give each document its entry lines, or one row');

SELECT is((SELECT ROW(rr_internal.journal_accounts(r, c, amount), rr_internal.journal_amounts(r, c, amount),
                      rr_internal.journal_total(r, c, amount), rr_internal.journal_line_nos(r, c, amount))::text
             FROM jl_line WHERE false),
          '(,,,{NULL})', 'no lines: NULL for each, and one NULL line number');

SELECT is((SELECT ROW(rr_internal.journal_accounts(r, c, a), rr_internal.journal_amounts(r, c, a),
                      rr_internal.journal_total(r, c, a))::text
             FROM (VALUES ('1100', '4000', 10.00), (NULL, '4000', 5), ('1100', NULL, 5), ('1100', '2400', NULL),
                          ('1100', '2400', -2.5)) AS v (r, c, a)),
          '("{1100,2400,4000}","{7.50,2.5,-10.00}",7.50)', 'a line with a NULL argument is left out');

SELECT * FROM finish();
ROLLBACK;
