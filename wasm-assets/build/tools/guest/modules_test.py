# Exercises the statically linked C libraries (sqlite3 in memory and on the WASI file system, bz2, lzma, ...).
import sqlite3, zlib, bz2, lzma, decimal, hashlib
for path in (":memory:", "/tmp.db"):
    c = sqlite3.connect(path)
    c.execute("create table t(a integer, b text)")
    c.executemany("insert into t values(?,?)", [(i, str(i)) for i in range(1000)])
    c.commit()
    print(path, c.execute("select count(*), sum(a), max(b) from t").fetchone(), c.execute("select sqrt(16)").fetchone())
    c.close()
print(len(bz2.compress(b"a"*10000)), len(lzma.compress(b"a"*10000)), decimal.Decimal(1)/7, hashlib.sha256(b"x").hexdigest()[:8])
# POSIX advisory locking (sqlite/eryx_sqlite3.c): a second connection reads while the first holds a
# write transaction (RESERVED), and cannot write until it commits.
w, r = sqlite3.connect("/locks.db", isolation_level=None), sqlite3.connect("/locks.db", isolation_level=None, timeout=0)
w.execute("create table t(a)"); w.execute("begin immediate"); w.execute("insert into t values(1)")
print("read during write:", r.execute("select count(*) from t").fetchone())
try:
    r.execute("insert into t values(2)"); print("second writer: not refused")
except sqlite3.OperationalError as e:
    print("second writer:", e)
w.execute("commit"); print("after commit:", r.execute("select count(*) from t").fetchone())
w.close(); r.close()
# Freeing deep nesting goes through the trashcan (patches/0002): bounded engine stack.
l = []
for _ in range(200000):
    l = [l]
del l
print("deep free: ok")
