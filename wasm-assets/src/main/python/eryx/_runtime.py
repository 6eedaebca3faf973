"""Runs one host request in the persistent ``__main__`` namespace and reports the outcome.

Called from C (``eryx_exec``) once per ``Sandbox.execute``. Globals persist between calls, like a
REPL. The outcome is one JSON object sent back through the bridge; output has already been
streamed through WASI stdout/stderr while the code ran.
"""
import ast
import json
import sys
import traceback

from eryx import _bridge

_FILENAME = "<string>"
_namespace = sys.modules["__main__"].__dict__
_loop_installed = False


def execute():
    request = _bridge.invoke_json(_bridge.REQUEST)
    if "env" in request:
        _adopt_sandbox(request)
    outcome = _run(request["code"])
    _flush()
    _bridge.invoke_json(_bridge.COMPLETE, outcome)


def _adopt_sandbox(request):
    """Makes an interpreter restored from a shared snapshot this sandbox's own.

    The snapshot was taken in a template sandbox; its environment and any random state seeded
    from it belong to nobody. os.urandom already reads this sandbox's WASI randomness.
    """
    import os
    os.environ.clear()
    os.environ.update(request["env"])
    random = sys.modules.get("random")
    if random is not None:
        random.seed()


def _run(code):
    _namespace.pop("result", None)
    try:
        compiled = compile(code, _FILENAME, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                           dont_inherit=True)
        if compiled.co_flags & 0x80:  # CO_COROUTINE: the code awaits at top level
            _run_coroutine(eval(compiled, _namespace))
        else:
            exec(compiled, _namespace)
    except SystemExit as stop:
        return {"ok": True, "result": _result(), "exitCode": _exit_code(stop)}
    except BaseException as error:  # the guest's failure is data for the host, whatever it is
        return {"ok": False, "result": None, "error": _describe(error)}
    return {"ok": True, "result": _result()}


def _run_coroutine(coroutine):
    global _loop_installed
    from eryx import _loop
    if not _loop_installed:
        _loop.install()
        _loop_installed = True
    _loop.run(coroutine)


def _result():
    if "result" not in _namespace:
        return None
    try:
        # Round-trip so only plain JSON reaches the host; NaN and infinities are not JSON.
        return json.loads(json.dumps(_namespace["result"], allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return None


def _exit_code(stop):
    code = stop.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _describe(error):
    lines = traceback.format_exception(type(error), error, _user_frames(error.__traceback__))
    return {
        "type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(lines),
    }


def _user_frames(tb):
    # Drop the runtime's own frames so the traceback reads as if CPython ran the code directly.
    while tb is not None and tb.tb_frame.f_code.co_filename != _FILENAME:
        tb = tb.tb_next
    return tb


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
