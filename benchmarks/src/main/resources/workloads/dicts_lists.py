# Dict and list heavy code: counting, grouping, sorting, comprehensions.
def run(n):
    words = ["w%d" % ((i * 7919) % 5003) for i in range(n)]
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    groups = {}
    for w, c in counts.items():
        groups.setdefault(c, []).append(w)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    matrix = [[(i * j) % 17 for j in range(60)] for i in range(600)]
    transposed = [list(col) for col in zip(*matrix)]
    flat = [x for row in transposed for x in row if x % 2]
    inverted = {v: k for k, v in enumerate(flat[:5000])}
    return len(counts), len(groups), top[0][1], sum(flat), len(inverted)


print("checksum", *run(60000))
