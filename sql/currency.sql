-- rr.currency and rr.minor_units (docs/concepts.md, "Currencies").

SELECT count(*) AS currencies,
       count(*) FILTER (WHERE minor_units = 0) AS zero_decimals,
       count(*) FILTER (WHERE minor_units = 3) AS three_decimals,
       count(*) FILTER (WHERE minor_units = 4) AS four_decimals
  FROM rr.currency;

SELECT code, minor_units, name
  FROM rr.currency
 WHERE code IN ('USD', 'EUR', 'GBP', 'JPY', 'KWD', 'BHD', 'CLF', 'CHF', 'ISK', 'UYW')
 ORDER BY code;

SELECT rr.minor_units('USD'), rr.minor_units('JPY'), rr.minor_units('KWD'),
       rr.minor_units('clf'), rr.minor_units(NULL);

-- An installation adds its own currency (not built in, so pg_dump keeps it).
INSERT INTO rr.currency (code, minor_units, name) VALUES ('XTS', 2, 'Test currency');
SELECT rr.minor_units('XTS');
UPDATE rr.currency SET minor_units = 3 WHERE code = 'XTS';
SELECT rr.minor_units('XTS');
DELETE FROM rr.currency WHERE code = 'XTS';
SELECT rr.minor_units('XTS');
-- a currency added and rolled back is unknown again
BEGIN;
INSERT INTO rr.currency (code, minor_units, name) VALUES ('XTS', 4, 'Test currency');
SELECT rr.minor_units('xts');
ROLLBACK;
SELECT rr.minor_units('XTS');

-- Bad input
\set VERBOSITY default
SELECT rr.minor_units('ZZZ');
SELECT rr.minor_units('US');
SELECT rr.minor_units('USDX');
SELECT rr.minor_units('');
INSERT INTO rr.currency (code, minor_units, name) VALUES ('usd', 2, 'lower case');
INSERT INTO rr.currency (code, minor_units, name) VALUES ('XTS', 10, 'too many decimals');
INSERT INTO rr.currency (code, minor_units, name) VALUES ('USD', 2, 'duplicate');
INSERT INTO rr.currency (code, minor_units, name, is_builtin) VALUES ('XTS', 2, 'fake built-in', true);
UPDATE rr.currency SET minor_units = 3 WHERE code = 'USD';
DELETE FROM rr.currency WHERE code = 'JPY';
TRUNCATE rr.currency;
SELECT count(*) FROM rr.currency;
