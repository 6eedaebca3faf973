#!/usr/bin/env python3
"""Turns benchmarks/profile.sh's raw profiles into the category table of docs/performance.md.

usage: profile_report.py OUTDIR [--names python.unstripped.wasm] [--header TEXT]

OUTDIR holds jdk17/ and jdk25/ (ProfileRunner: NAME.cpu.collapsed, NAME.wall.collapsed,
NAME.json) and node/ (run.mjs --profile-dir: NAME.cpuprofile) with node.json beside it.
Prints markdown on stdout.

A JVM sample is put in the first category that matches, looking at its top (leaf) frame and
the innermost frame of generated wasm code (async-profiler's `ann` suffixes: _[0] interpreted,
_[1] C1, _[j] C2, _[i] inlined, _[k] kernel):
  interpreted  the innermost generated frame, or the leaf, runs in the JVM's bytecode interpreter
               (a method HotSpot never compiled, e.g. above its 8,000-byte limit)
  fuel         leaf is an i64 load/store of guest memory: nearly all of them are the fuel counter's
               (the metering snippet at every function entry and loop header), the C code's own
               64-bit accesses are counted here too, so this is an upper bound
  memory       any other guest load/store (Memory implementations, VarHandle index checks, Unsafe)
  indirect     call_indirect switches, table lookups, the dispatchers FuelInstrument appends
  driver       _PyEval_EvalFrameDefault's own code (the trampoline's driver loop is inlined in it)
  globals      Instance.global / GlobalInstance
  interrupt    Chicory's thread-interruption check at loop back-edges and calls
  gc+alloc     GC threads; allocation and page faults (kernel) on the guest thread
  compile      JIT compiler threads
  guest code   the rest of the guest thread's samples: JIT-compiled wasm functions themselves
  other        host functions (WASI, bridge), other JVM threads
"""
import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict

GUEST = ["interpreted", "memory", "fuel", "indirect", "driver", "globals", "interrupt",
         "guest code", "gc+alloc", "other"]
THREADS = ["compile", "gc threads", "other threads"]
CATEGORIES = GUEST + THREADS
LABELS = {
    "interpreted": "interpreted (never-compiled) methods",
    "memory": "memory access (loads/stores, page lookup, index checks)",
    "fuel": "fuel (i64 loads/stores: the counter; upper bound)",
    "indirect": "indirect-call dispatch (`call_indirect`, table, dispatchers)",
    "driver": "interpreter driver loop (`_PyEval_EvalFrameDefault` self)",
    "globals": "globals (`Instance.global`)",
    "interrupt": "Chicory interruption checks",
    "guest code": "JIT-compiled wasm code itself",
    "gc+alloc": "allocation and page faults on the guest thread",
    "other": "other on the guest thread (host functions: WASI, bridge)",
    "compile": "JIT compiler threads",
    "gc threads": "GC threads",
    "other threads": "other threads",
}
GEN = re.compile(r"^dev/eryx/wasm/\w+\.(func_(\d+)|call_indirect_\d+|Indirect_\w+)")
FUNC = re.compile(r"\.func_(\d+)_\[")


def wasm_names(path):
    """Function names from the `name` custom section (subsection 1)."""
    data = open(path, "rb").read()
    pos = 8

    def u32(p):
        result = shift = 0
        while True:
            b = data[p]
            p += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result, p

    names = {}
    while pos < len(data):
        sid = data[pos]
        size, p = u32(pos + 1)
        end = p + size
        if sid == 0:
            nlen, q = u32(p)
            if data[q:q + nlen] == b"name":
                q += nlen
                while q < end:
                    sub = data[q]
                    ssize, q = u32(q + 1)
                    if sub == 1:
                        count, r = u32(q)
                        for _ in range(count):
                            idx, r = u32(r)
                            ln, r = u32(r)
                            names[idx] = data[r:r + ln].decode("utf-8", "replace")
                            r += ln
                    q += ssize
        pos = end
    return names


def function_count(path):
    """Functions of the unstripped module (imports included): appended dispatchers come after."""
    return max(wasm_names(path)) + 1 if path else None


def classify(frames, thread, names, nfuncs):
    leaf = frames[-1]
    # The thread that runs guest code; without thread names, any stack in eryx or Chicory code.
    guest = (thread.startswith("[eryx-guest") if thread
             else any(f.startswith(("dev/eryx/", "com/dylibso/chicory")) for f in frames))
    if not guest:
        if "CompilerThre" in thread:
            return "compile"
        if re.search(r"GC Thread|G1 |VM Thread|GC|Conc", thread):
            return "gc threads"
        return "other threads"
    gen = [f for f in frames if GEN.match(f)]
    innermost = gen[-1] if gen else None
    if leaf.endswith("_[0]") or (innermost and innermost.endswith("_[0]")):
        return "interpreted"
    if leaf.endswith("_[k]") or re.search(r"OptoRuntime|new_instance|new_array|Allocat|memset|"
                                           r"clear_page|asm_exc_page_fault|CollectedHeap", leaf):
        return "gc+alloc"
    if re.search(r"(Memory\.(read|write)Long|memoryReadLong|memoryWriteLong|AsLongs|"
                 r"(get|put)LongUnaligned)", leaf):
        return "fuel"
    if re.search(r"(?i)memory|VarHandle|Preconditions|Unsafe|getAddr|arraycopy|memcpy|memmove",
                 leaf):
        return "memory"
    if re.search(r"call_indirect|Indirect_|TableInstance|Instance\.table|\.ref_\[", leaf):
        return "indirect"
    m = FUNC.search(leaf)
    if m and nfuncs and int(m.group(1)) >= nfuncs:
        return "indirect"  # a dispatcher FuelInstrument appended
    if m and names.get(int(m.group(1))) == "_PyEval_EvalFrameDefault":
        return "driver"
    if re.search(r"Instance\.global|GlobalInstance|(read|write)Global|ImportValues\.global",
                 leaf):
        return "globals"
    if re.search(r"isInterrupted|checkInterruption|currentThread", leaf):
        return "interrupt"
    if m or GEN.match(leaf) or re.match(r"com/dylibso/chicory/runtime/OpcodeImpl|"
                                        r"java/lang/(Integer|Long|Math|Float|Double)\.", leaf):
        return "guest code"
    return "other"


def wasm_function_of(frames, names, nfuncs):
    """Innermost generated wasm function of a guest stack (memory helpers etc. count for it)."""
    for f in reversed(frames):
        m = FUNC.search(f)
        if m:
            n = int(m.group(1))
            if nfuncs and n >= nfuncs:
                continue  # dispatcher: attribute to the caller, as V8 has none
            state = "interpreted" if f.endswith("_[0]") else "compiled"
            return names.get(n, "func_%d" % n), state
    return None, None


def read_collapsed(path, names, nfuncs):
    cats = Counter()
    funcs = Counter()
    states = defaultdict(Counter)
    total = 0
    for line in open(path):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        count = int(count)
        frames = stack.split(";")
        thread = ""
        if frames[0].startswith("["):
            thread = frames[0]
            frames = frames[1:]
        if not frames:
            continue
        total += count
        cats[classify(frames, thread, names, nfuncs)] += count
        fn, state = wasm_function_of(frames, names, nfuncs)
        if fn:
            funcs[fn] += count
            states[fn][state] += count
    return total, cats, funcs, states


V8_WASM = re.compile(r"^(?:\$func|wasm-function\[)(\d+)\]?$")


def read_cpuprofile(path, names):
    prof = json.load(open(path))
    by_id = {n["id"]: n for n in prof["nodes"]}
    self_us = Counter()
    deltas = prof.get("timeDeltas", [])
    samples = prof.get("samples", [])
    for i, s in enumerate(samples):
        # timeDeltas[i] is the time before sample i; attribute the next delta to sample i.
        d = deltas[i + 1] if i + 1 < len(deltas) else 0
        self_us[s] += max(d, 0)
    cats = Counter()
    funcs = Counter()
    for node_id, us in self_us.items():
        cf = by_id[node_id]["callFrame"]
        name = cf.get("functionName", "")
        m = V8_WASM.match(name)
        if m:
            fn = names.get(int(m.group(1)), "func_" + m.group(1))
        else:
            fn = name
        if name == "(garbage collector)":
            cats["gc+alloc"] += us
        elif name in ("(idle)",):
            continue
        elif m or cf.get("url", "").startswith("wasm://"):
            funcs[fn] += us
            cats["driver" if fn == "_PyEval_EvalFrameDefault" else "guest code"] += us
        else:
            cats["other"] += us
    return cats, funcs


def fmt_ms(v):
    return "%.0f" % v if v >= 10 else "%.1f" % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--names")
    ap.add_argument("--header", default="")
    a = ap.parse_args()
    names = wasm_names(a.names) if a.names else {}
    nfuncs = (max(names) + 1) if names else None
    interval_ms = 2.0
    out = []
    if a.header:
        out.append("Run: " + a.header + "\n")
    jvm = {}
    for jdk in ("jdk25", "jdk17"):
        d = os.path.join(a.outdir, jdk)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith(".json"):
                continue
            meta = json.load(open(os.path.join(d, f)))
            w = meta["workload"]
            for event in ("cpu", "wall"):
                total, cats, funcs, states = read_collapsed(
                    os.path.join(d, "%s.%s.collapsed" % (w, event)), names, nfuncs)
                jvm[(jdk, w, event)] = dict(meta=meta, total=total, cats=cats, funcs=funcs,
                                            states=states, runs=meta[event + "_runs"])
    node = {}
    nd = os.path.join(a.outdir, "node")
    node_meta = {}
    if os.path.isfile(os.path.join(a.outdir, "node.json")):
        try:
            node_meta = json.load(open(os.path.join(a.outdir, "node.json")))["workloads"]
        except (ValueError, KeyError):
            node_meta = {}
    if os.path.isdir(nd):
        for f in sorted(os.listdir(nd)):
            if f.endswith(".cpuprofile"):
                w = f[:-len(".cpuprofile")]
                cats, funcs = read_cpuprofile(os.path.join(nd, f), names)
                runs = len(node_meta.get(w, {}).get("times_ms", [])) or 1
                node[w] = dict(cats=cats, funcs=funcs, runs=runs)

    workloads = []
    for (jdk, w, ev) in jvm:
        if w not in workloads:
            workloads.append(w)
    order = ["fib", "loops", "json_roundtrip", "regex", "strings", "dicts_lists", "agent_step",
             "decimal_ops", "sqlite_mem"]
    workloads.sort(key=lambda w: order.index(w) if w in order else 99)

    # Table 1: categories, share of CPU samples (all threads), per workload and JDK.
    for jdk in ("jdk25", "jdk17"):
        if not any(k[0] == jdk for k in jvm):
            continue
        out.append("**%s, CPU samples: %% of the guest thread's per category (the last three rows: "
                   "%% of all the process's samples); last column: CPU ms per run summed over the "
                   "suite**\n" % ("Temurin 25" if jdk == "jdk25" else "JDK 17"))
        out.append("| category | " + " | ".join(workloads) + " | suite ms/run |")
        out.append("|---|" + "---:|" * (len(workloads) + 1))
        for c in CATEGORIES:
            row = [LABELS[c]]
            ms = 0.0
            for w in workloads:
                e = jvm.get((jdk, w, "cpu"))
                if not e or not e["total"]:
                    row.append("")
                    continue
                base = e["total"] if c in THREADS else sum(e["cats"][k] for k in GUEST)
                row.append("%.0f" % (100.0 * e["cats"][c] / max(1, base)))
                ms += e["cats"][c] * interval_ms / e["runs"]
            row.append(fmt_ms(ms))
            out.append("| " + " | ".join(row) + " |")
        row = ["**median ms per run (cpu window / wall window)**"]
        for w in workloads:
            e = jvm.get((jdk, w, "cpu"))
            row.append("%.0f / %.0f" % (e["meta"]["cpu_median_ms"], e["meta"]["wall_median_ms"])
                       if e else "")
        row.append("")
        out.append("| " + " | ".join(row) + " |\n")
        # Wall: the guest thread only (the thread that runs generated code).
        out.append("Wall-clock samples of the guest thread, same categories, suite total: " + ", ".join(
            "%s %.0f%%" % (c, 100.0 * sum(jvm[(jdk, w, "wall")]["cats"][c] for w in workloads
                                          if (jdk, w, "wall") in jvm)
                          / max(1, sum(sum(jvm[(jdk, w, "wall")]["cats"][k] for k in GUEST)
                                       for w in workloads if (jdk, w, "wall") in jvm)))
            for c in GUEST) + ".\n")

    # Table 2: V8 by category.
    if node:
        out.append("**V8 (Node, TurboFan), CPU profile of the timed runs, % per category** (V8 "
                   "inlines loads/stores with guard-page bounds checks and `call_indirect` into the "
                   "machine code of each wasm function: they are part of \"wasm code\")\n")
        out.append("| category | " + " | ".join(workloads) + " | suite ms/run |")
        out.append("|---|" + "---:|" * (len(workloads) + 1))
        for c in ("driver", "guest code", "gc+alloc", "other"):
            row = [LABELS[c] if c != "guest code" else "wasm code (TurboFan)"]
            ms = 0.0
            for w in workloads:
                e = node.get(w)
                tot = sum(e["cats"].values()) if e else 0
                if not tot:
                    row.append("")
                    continue
                row.append("%.0f" % (100.0 * e["cats"][c] / tot))
                ms += e["cats"][c] / 1000.0 / e["runs"]
            row.append(fmt_ms(ms))
            out.append("| " + " | ".join(row) + " |")
        row = ["**median ms per run**"]
        for w in workloads:
            t = node_meta.get(w, {}).get("times_ms") or []
            row.append("%.0f" % sorted(t)[len(t) // 2] if t else "")
        row.append("")
        out.append("| " + " | ".join(row) + " |\n")

    # Table 3: per wasm function, ms per run on each engine (JVM: the function's own samples plus
    # the memory/dispatch/runtime frames it calls; V8: self time).
    out.append("**Where the gap is, per wasm function: CPU ms per run summed over the suite** "
               "(JVM: samples whose innermost wasm function it is, so its loads, stores and "
               "`call_indirect`s count for it; V8: self time)\n")
    total_fn = Counter()
    per = defaultdict(dict)
    for jdk in ("jdk25", "jdk17"):
        for w in workloads:
            e = jvm.get((jdk, w, "cpu"))
            if not e:
                continue
            for fn, n in e["funcs"].items():
                v = n * interval_ms / e["runs"]
                per[fn][jdk] = per[fn].get(jdk, 0) + v
                per[fn][jdk + "_interp"] = per[fn].get(jdk + "_interp", 0) + \
                    e["states"][fn]["interpreted"] * interval_ms / e["runs"]
                if jdk == "jdk25":
                    total_fn[fn] += v
    for w in workloads:
        e = node.get(w)
        if not e:
            continue
        for fn, us in e["funcs"].items():
            per[fn]["node"] = per[fn].get("node", 0) + us / 1000.0 / e["runs"]
    out.append("| wasm function | Temurin 25 ms | of it interpreted | JDK 17 ms | V8 ms | "
               "T25 ÷ V8 |")
    out.append("|---|---:|---:|---:|---:|---:|")
    t25_all = sum(p.get("jdk25", 0) for p in per.values())
    v8_all = sum(p.get("node", 0) for p in per.values())
    for fn, _ in total_fn.most_common(25):
        p = per[fn]
        ratio = "%.0fx" % (p["jdk25"] / p["node"]) if p.get("node", 0) > 0.05 else "—"
        out.append("| `%s` | %s | %s | %s | %s | %s |" % (
            fn, fmt_ms(p.get("jdk25", 0)), fmt_ms(p.get("jdk25_interp", 0)),
            fmt_ms(p.get("jdk17", 0)), fmt_ms(p.get("node", 0)), ratio))
    out.append("| **all wasm functions** | %s | %s | %s | %s | %s |\n" % (
        fmt_ms(t25_all), fmt_ms(sum(p.get("jdk25_interp", 0) for p in per.values())),
        fmt_ms(sum(p.get("jdk17", 0) for p in per.values())), fmt_ms(v8_all),
        "%.1fx" % (t25_all / v8_all) if v8_all else "—"))
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
