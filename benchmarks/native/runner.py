"""Runs workloads in one interpreter, the way the in-JVM runner runs them in one warm sandbox.

usage: python runner.py WARMUP REPS STARTUP_REPS file.py...   -> one JSON object on stdout
Start-up: wall time of STARTUP_REPS fresh processes running `python -c "print('ready')"`.
Each repetition compiles and executes the file's source in a fresh __main__-like namespace with
stdout captured; the time of a repetition is compile + exec, measured with perf_counter_ns.
"""
import contextlib
import io
import json
import os
import subprocess
import sys
import time


def run_once(name, source):
    buf = io.StringIO()
    start = time.perf_counter_ns()
    with contextlib.redirect_stdout(buf):
        exec(compile(source, "<string>", "exec", dont_inherit=True), {"__name__": "__main__"})
    elapsed = time.perf_counter_ns() - start
    return elapsed / 1e6, buf.getvalue()


def main(argv):
    warmup, reps, startup_reps, files = int(argv[1]), int(argv[2]), int(argv[3]), argv[4:]
    fresh = []
    for _ in range(startup_reps):
        start = time.perf_counter_ns()
        out = subprocess.run([sys.executable, "-c", "print('ready')"], capture_output=True, text=True).stdout
        fresh.append((time.perf_counter_ns() - start) / 1e6)
        assert out.strip() == "ready", out
    print("  fresh process to first output: %.1f ms" % sorted(fresh)[len(fresh) // 2], file=sys.stderr)
    for _ in range(50):
        run_once("trivial", "print('ready')")
    trivial = [run_once("trivial", "print('ready')")[0] for _ in range(30)]
    results = {}
    for path in files:
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as f:
            source = f.read()
        entry = {"times_ms": [], "output": None, "error": None}
        try:
            for _ in range(warmup):
                run_once(name, source)
            for _ in range(reps):
                ms, out = run_once(name, source)
                entry["times_ms"].append(ms)
                entry["output"] = out.strip()
        except BaseException as e:  # report, keep going
            entry["error"] = "%s: %s" % (type(e).__name__, e)
        results[name] = entry
        print("  %-16s %s" % (name, entry["error"] or "%.1f ms" % sorted(entry["times_ms"])[len(entry["times_ms"]) // 2]),
              file=sys.stderr)
    json.dump({"version": sys.version.split()[0], "implementation": sys.implementation.name,
               "startup": {"fresh_first_output_ms": fresh, "warm_trivial_ms": trivial}, "workloads": results}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
