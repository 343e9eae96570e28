-- SPDX-License-Identifier: MIT
-- Debian's sqlite3 shell, run as `sqlite3 -bail DB ".read write.sql" ".open DB" ".read check.sql"`:
-- a database on a file in /tmp (written here, closed, reopened by check.sql), one in memory,
-- JSON, hashing (the shell's sha3()), dates from fixed values, a transaction rolled back, and an
-- error that ends the run with status 1 (-bail). Deterministic: compared with the run natively.
.headers on
.mode list
PRAGMA journal_mode = DELETE;
DROP TABLE IF EXISTS item;
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, price REAL, tags TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO item(name, price, tags)
SELECT 'item' || i, round(i * 1.25, 2), json_array('t' || (i % 7), i % 3 = 0) FROM n;
CREATE INDEX item_price ON item(price);
SELECT count(*), sum(price), min(name), max(name) FROM item;
SELECT name, price FROM item WHERE price BETWEEN 100 AND 102 ORDER BY price;
SELECT json_extract(tags, '$[0]') AS tag, count(*) AS n FROM item GROUP BY tag ORDER BY tag;
SELECT json_object('id', id, 'name', name, 'tags', json(tags)) FROM item WHERE id IN (1, 250, 500);
SELECT hex(sha3('wisp')), hex(sha3('wisp', 256));
SELECT hex(sha3_query('SELECT * FROM item ORDER BY id'));
-- Dates from fixed values (no clock, UTC).
SELECT date('2024-02-29', '+1 year'), datetime(1700000000, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%f %w %j', '2023-11-14 22:13:20.123'),
       julianday('2000-01-01 12:00:00'), date('2024-01-31', '+1 month', 'start of month');
-- A transaction that is rolled back leaves nothing behind.
BEGIN;
DELETE FROM item WHERE id > 10;
SELECT count(*) AS during FROM item;
ROLLBACK;
SELECT count(*) AS after FROM item;
