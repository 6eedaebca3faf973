# Micro-benchmarks used to compare builds (best of 3, module-level functions).
import time, json
def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)
def loop(n):
    s = 0
    for i in range(n): s += i
    return s
def js():
    d = [{"id": i, "name": "x%d" % i, "v": [i, i*2]} for i in range(20000)]
    return len(json.loads(json.dumps(d)))
for name, f in (("fib24", lambda: fib(24)), ("loop1M", lambda: loop(1_000_000)), ("json20k", js)):
    best = 1e9
    for _ in range(3):
        t = time.perf_counter(); f(); best = min(best, time.perf_counter() - t)
    print(f"{name} {best*1000:.1f} ms")
