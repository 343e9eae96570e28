-- SPDX-License-Identifier: MIT
-- The second half of write.sql's run, after the shell closed and reopened the database file.
.headers on
.mode list
SELECT count(*) AS reopened, sum(price), hex(sha3_query('SELECT * FROM item ORDER BY id')) FROM item;
.open --new :memory:
CREATE TABLE m(x);
INSERT INTO m VALUES (1), (2.5), ('three'), (x'0401'), (NULL);
SELECT typeof(x), quote(x) FROM m;
SELECT printf('%5.2f|%-4s|%d', 3.14159, 'ab', 42), upper('wisp'), length(zeroblob(1000)),
       substr('hello world', 7), replace('a-b-c', '-', '+'), abs(-7), 17 % 5, 1 / 0;
-- Errors: a constraint violation ends the run (with -bail) with status 1.
INSERT INTO m VALUES (6);
CREATE TABLE u(k UNIQUE);
INSERT INTO u VALUES (1);
INSERT INTO u VALUES (1);
SELECT 'not reached';
