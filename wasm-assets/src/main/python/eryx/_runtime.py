"""Runs one host request in the persistent ``__main__`` namespace and reports the outcome.

Called from C (``eryx_exec``) once per ``Sandbox.execute``. Globals persist between calls, like a
REPL. The outcome is one JSON object sent back through the bridge; output has already been
streamed through WASI stdout/stderr while the code ran.
"""
import ast
import linecache
import signal
import sys
import traceback

from eryx import _bridge, _callbacks, _loop

_FILENAME = "<string>"
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect
_namespace = sys.modules["__main__"].__dict__
# Whether the host's interrupt request may raise KeyboardInterrupt now; see _on_interrupt.
_user_code_running = False

# Before any user code runs, so that asyncio never builds its socket-based loop. Importing asyncio
# here also puts it into the interpreter image sandboxes restore from: importing it costs seconds.
_loop.install()


def execute():
    request = _bridge.invoke_json(_bridge.REQUEST)
    if "env" in request:
        _adopt_sandbox(request)
    if "callbacks" in request:
        _callbacks.install(request["callbacks"], _namespace)
    _callbacks.reset()
    tracing = request.get("trace", False)
    if tracing:
        _callbacks.start_tracing(_FILENAME)
    try:
        outcome = _run(request["code"])
    finally:
        if tracing:
            _callbacks.stop_tracing()
    _flush()
    _bridge.invoke_json(_bridge.COMPLETE, outcome)


def _on_interrupt(signum, frame):
    """SIGINT handler: the host's cooperative stop request (eryx_interrupt_flag) arrives as SIGINT.

    A request that lands while the runtime itself runs (reading the request, reporting the outcome)
    is dropped: raising there would lose the outcome. The host stops only a running execution, so
    such a request is for an execution that has already finished.

    This is deliberately not signal.default_int_handler: asyncio.Runner replaces that one with a
    handler that merely cancels the main task, which code that never awaits would not notice.
    """
    if _user_code_running:
        raise KeyboardInterrupt


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
    global _user_code_running
    _namespace.pop("result", None)
    # User code may have replaced these in an earlier execution.
    signal.signal(signal.SIGINT, _on_interrupt)
    _loop.ensure_current()
    try:
        _user_code_running = True
        try:
            compiled = compile(code, _FILENAME, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                               dont_inherit=True)
            if compiled.co_flags & _CO_COROUTINE:  # the code awaits at top level
                _loop.run(eval(compiled, _namespace))
            else:
                exec(compiled, _namespace)
        finally:
            _user_code_running = False
    except SystemExit as stop:
        return {"ok": True, "result": _result(), "exitCode": _exit_code(stop)}
    except BaseException as error:  # the guest's failure is data for the host, whatever it is
        return {"ok": False, "result": None, "error": _describe(error)}
    return {"ok": True, "result": _result()}


def _result():
    if "result" not in _namespace:
        return None
    try:
        # Round-trip so only plain JSON reaches the host; NaN and infinities are not JSON. Any
        # failure (including one raised by a user-defined __iter__ or key) means "not JSON".
        return _bridge.decode(_bridge.encode_value(_namespace["result"]))
    except Exception:
        return None


def _exit_code(stop):
    code = stop.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    # As CPython does for sys.exit("message"): print it, exit status 1.
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _describe(error):
    # User-defined exceptions can fail in __str__ or confuse the formatter; the outcome must still
    # be reported, or the host sees a crashed runtime.
    try:
        message = str(error)
    except Exception:
        message = "<exception str() failed>"
    # The submitted code has no file. Without this entry linecache searches sys.path for a file
    # named "<string>" once per frame, which makes a RecursionError's traceback take seconds; and
    # the traceback shows no source for it, as with `python -c`.
    linecache.cache[_FILENAME] = (0, None, [], _FILENAME)
    try:
        lines = traceback.format_exception(type(error), error, _user_frames(error.__traceback__))
        text = "".join(lines)
    except Exception:
        text = type(error).__name__ + (": " + message if message else "") + "\n"
    return {"type": type(error).__name__, "message": message, "traceback": text}


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
