# Runs one CPython regression test module inside the eryx sandbox and reports its counts
# through the top-level variable `result`. The Java side defines ERYX_CONFORMANCE before this
# source: {"tests_dir", "module", "deny": {test id or class id: reason}, "resources": [...]}.
import importlib
import io
import os
import sys
import time
import traceback
import unittest


def _run(params):
    tests_dir = params["tests_dir"]
    name = params["module"]
    deny = dict(params.get("deny") or {})

    # `test` must be CPython's full test package from the mount, never anything cached.
    sys.path.insert(0, tests_dir)
    for k in list(sys.modules):
        if k == "test" or k.startswith("test."):
            del sys.modules[k]

    # Like regrtest: run from a scratch working directory (tests create TESTFN files in it).
    work = "/tmp/eryx-conformance"
    os.makedirs(work, exist_ok=True)
    os.chdir(work)

    from test import support
    # regrtest enables no optional resources unless `-u` says so; do the same (or what we're told).
    support.use_resources = list(params.get("resources") or [])
    support.verbose = 0
    support.failfast = False

    t0 = time.monotonic()
    module = importlib.import_module("test." + name)
    suite = unittest.TestLoader().loadTestsFromModule(module)
    load_seconds = time.monotonic() - t0

    used = set()
    seen = []

    def visit(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                visit(t)
                continue
            tid = t.id()
            seen.append(tid)
            reason = None
            cls_id = tid.rsplit(".", 1)[0]
            for key in (tid, cls_id):
                if key in deny:
                    reason, _ = deny[key], used.add(key)
                    break
            if reason is not None and isinstance(t, unittest.TestCase) and hasattr(t, "_testMethodName"):
                meth = getattr(t, t._testMethodName)
                setattr(t, t._testMethodName, unittest.skip("eryx: " + reason)(meth))

    visit(suite)

    stream = io.StringIO()
    runner = unittest.TextTestRunner(stream=stream, verbosity=2)
    res = runner.run(suite)
    elapsed = time.monotonic() - t0

    reasons = {}
    for t, why in res.skipped:
        reasons.setdefault(why, []).append(t.id())

    def fmt(lst):
        return [{"id": t.id(), "trace": tb[-6000:]} for t, tb in lst]

    return {
        "module": name,
        "run": res.testsRun,
        "failures": len(res.failures),
        "errors": len(res.errors),
        "skipped": len(res.skipped),
        "expected_failures": len(res.expectedFailures),
        "unexpected_successes": len(res.unexpectedSuccesses),
        "skip_reasons": reasons,
        "failure_details": fmt(res.failures),
        "error_details": fmt(res.errors),
        "unexpected_success_ids": [t.id() for t in res.unexpectedSuccesses],
        "unused_deny": sorted(set(deny) - used),
        "seconds": round(elapsed, 2),
        "load_seconds": round(load_seconds, 2),
        "slowest": [[t, round(d, 2)] for t, d in sorted(res.collectedDurations, key=lambda x: -x[1])[:15]],
        "collected": len(seen),
        "log_tail": stream.getvalue()[-4000:],
    }


try:
    result = _run(ERYX_CONFORMANCE)  # noqa: F821 (defined by the Java side)
except BaseException:
    result = {"crash": traceback.format_exc()}
