# SPDX-License-Identifier: MIT
# Debian's python3 exercising what programs use most: files in /tmp, JSON, hashing, sqlite
# (in memory and on a file), dates from fixed timestamps, seeded random numbers, decimal, zlib,
# mmap of a file, threads, exceptions and the exit status. Prints only deterministic values:
# compared with the same run natively (tests/vm/diff.sh).
import datetime
import decimal
import hashlib
import json
import mmap
import os
import random
import re
import sqlite3
import struct
import sys
import threading
import time
import zlib

work = f"/tmp/wisp-python-{os.getpid()}"
os.makedirs(work)

# Files: write, append, read back, seek, stat, listdir, rename, remove.
path = os.path.join(work, "data.txt")
with open(path, "w") as f:
    for i in range(1000):
        f.write(f"line {i} {'x' * (i % 17)}\n")
with open(path, "a") as f:
    f.write("the end\n")
with open(path) as f:
    lines = f.readlines()
print("lines", len(lines), lines[0].strip(), lines[-1].strip())
with open(path, "rb") as f:
    f.seek(100)
    print("seek", f.read(20))
print("size", os.stat(path).st_size)
os.rename(path, os.path.join(work, "renamed.txt"))
open(os.path.join(work, "b.bin"), "wb").write(bytes(range(256)) * 64)
print("listdir", sorted(os.listdir(work)))

# mmap of a file in /tmp (a file-backed mapping of a tmpfs file in wisp).
with open(os.path.join(work, "b.bin"), "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    print("mmap", len(m), m[255], m[4096:4100].hex())
    m[0:4] = b"WISP"
    m.flush()
    m.close()
with open(os.path.join(work, "b.bin"), "rb") as f:
    print("after mmap write", f.read(6))

# JSON round trip.
doc = {"name": "wisp", "numbers": [1, 2.5, -3], "nested": {"ok": True, "none": None},
       "text": "h\u00e9llo \u2603"}
encoded = json.dumps(doc, sort_keys=True)
print("json", encoded)
print("json round trip", json.loads(encoded) == doc)
try:
    json.loads("{bad json")
except json.JSONDecodeError as e:
    print("json error", e.msg, e.pos)

# Hashing (OpenSSL through _hashlib, and the built-in ones).
for name in ["md5", "sha1", "sha256", "sha512", "sha3_256", "blake2b"]:
    print(name, hashlib.new(name, b"wisp" * 1000).hexdigest()[:32])
print("crc32", zlib.crc32(b"hello world"))
packed = zlib.compress(b"abc" * 10000)
print("zlib", len(packed), len(zlib.decompress(packed)))

# sqlite: in memory and on a file.
db = sqlite3.connect(":memory:")
db.execute("create table t(id integer primary key, name text, value real)")
db.executemany("insert into t(name, value) values (?, ?)", [(f"n{i}", i * 1.5) for i in range(100)])
print("sqlite memory", db.execute("select count(*), sum(value), max(name) from t").fetchone())
print("sqlite json", db.execute("select json_object('a', 1, 'b', json_array(2, 3))").fetchone()[0])
db_path = os.path.join(work, "test.db")
db = sqlite3.connect(db_path)
db.execute("create table kv(k text primary key, v text)")
with db:
    db.executemany("insert into kv values (?, ?)", [(str(i), "v" * i) for i in range(50)])
db.close()
db = sqlite3.connect(db_path)
print("sqlite file", db.execute("select count(*), length(group_concat(v, '')) from kv").fetchone())
try:
    db.execute("insert into kv values ('1', 'dup')")
except sqlite3.IntegrityError as e:
    print("sqlite error", e)
db.close()

# Dates and times from fixed timestamps (no dependence on the clock or the time zone).
t = 1700000000
print("gmtime", time.strftime("%Y-%m-%d %H:%M:%S %a %j", time.gmtime(t)))
d = datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)
print("datetime", d.isoformat(), (d + datetime.timedelta(days=100)).strftime("%A %d %B %Y"))
print("parse", datetime.datetime.strptime("2024-02-29 12:34", "%Y-%m-%d %H:%M").isoformat())
print("clock moves", time.monotonic() <= time.monotonic())

# Random numbers with a fixed seed.
random.seed(1234)
print("random", [random.randint(0, 1000) for _ in range(5)], round(random.random(), 6))
items = list(range(10))
random.shuffle(items)
print("shuffle", items)

# Numbers.
decimal.getcontext().prec = 30
print("decimal", decimal.Decimal(1) / decimal.Decimal(7))
print("float", 0.1 + 0.2, 2 ** 0.5, 10 ** 20, 1e308 * 10)
print("int", 2 ** 200 % 1000007, pow(3, 10000, 10 ** 9 + 7))
print("struct", struct.pack("<IhQd", 1, -2, 3, 4.5).hex())
print("re", re.findall(r"(\w+)@(\w+)\.com", "a@b.com, c@d.com"))

# Threads.
results = []
lock = threading.Lock()
def work_item(n):
    s = sum(range(n))
    with lock:
        results.append(s)
threads = [threading.Thread(target=work_item, args=(i * 1000,)) for i in range(4)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print("threads", sorted(results))

# Exceptions.
class Custom(Exception):
    pass
try:
    try:
        1 / 0
    except ZeroDivisionError as e:
        raise Custom("wrapped") from e
except Custom as e:
    print("exception", e, type(e.__cause__).__name__)
try:
    open("/nonexistent/file")
except FileNotFoundError as e:
    print("oserror", e.errno, e.strerror)

# Clean up and leave with a status the test compares.
for name in os.listdir(work):
    os.remove(os.path.join(work, name))
os.rmdir(work)
print("done")
sys.stdout.flush()
sys.exit(3)
