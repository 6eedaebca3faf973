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
