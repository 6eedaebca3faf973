# sqlite3 in memory: create, bulk insert, index, aggregate queries.
import sqlite3

con = sqlite3.connect(":memory:")
cur = con.cursor()
cur.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, user TEXT, kind TEXT, amount REAL, day INTEGER)")
rows = [(i, "u%d" % (i % 313), ("click", "view", "buy")[i % 3], (i % 1000) / 10.0, i % 30) for i in range(10000)]
cur.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)
cur.execute("CREATE INDEX idx_user ON events(user)")
con.commit()
per_kind = cur.execute("SELECT kind, COUNT(*), ROUND(SUM(amount), 2) FROM events GROUP BY kind ORDER BY kind").fetchall()
top = cur.execute("SELECT user, SUM(amount) AS s FROM events WHERE kind = 'buy' GROUP BY user "
                  "ORDER BY s DESC, user LIMIT 5").fetchall()
n = 0
for i in range(300):
    n += cur.execute("SELECT COUNT(*) FROM events WHERE user = ?", ("u%d" % i,)).fetchone()[0]
days = [r[0] for r in cur.execute("SELECT day FROM events WHERE amount > 99.5 ORDER BY id")]
con.close()
print("checksum", per_kind, top[0][0], n, len(days), sum(days))
