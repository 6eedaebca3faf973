"""Runs one host request in the persistent ``__main__`` namespace and reports the outcome.

Called from C (``eryx_exec``) once per ``Sandbox.execute``. Globals persist between calls, like a
REPL. The outcome is one JSON object sent back through the bridge; output has already been
streamed through WASI stdout/stderr while the code ran.
"""
import ast
import builtins
import collections
import linecache
import signal
import sys
import traceback

import _sitebuiltins

from eryx import _bridge, _callbacks, _loop

_FILENAME = "<string>"
# Sources of recent "<string>" executions whose lines tracebacks have not needed yet (see
# _remember_source); older ones are forgotten, and their functions' frames show no lines.
_pending_sources = collections.deque(maxlen=32)
# A traceback deeper than this is shown without source lines: traceback formats every frame
# (also the collapsed repeats of a RecursionError) with a parse of its line, seconds under wasm.
_MAX_FRAMES_WITH_LINES = 100
# The file name the running execution's code was compiled under: "<string>", or a script's name.
_filename = _FILENAME
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect
_namespace = sys.modules["__main__"].__dict__
# Whether the host's interrupt request may raise KeyboardInterrupt now; see _on_interrupt.
_user_code_running = False



class _Quitter(_sitebuiltins.Quitter):
    """exit() and quit() as CPython's site module defines them, which the sandbox does not import.

    Unlike site's, they leave sys.stdin open: the interpreter lives on after the execution ends.
    """

    def __call__(self, code=None):
        raise SystemExit(code)


builtins.exit = _Quitter("exit", "Ctrl-D (i.e. EOF)")
builtins.quit = _Quitter("quit", "Ctrl-D (i.e. EOF)")

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
    global _filename
    if "source" in request:
        # A script's bytes, sent as the code points of a latin-1 string: CPython decodes them.
        code = request["source"].encode("latin-1")
        _filename = request["filename"]
    else:
        code = request["code"]
        _filename = _FILENAME
    tracing = request.get("trace", False)
    if tracing:
        _callbacks.start_tracing(_filename)
    try:
        outcome = _run(code)
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
            # From bytes, compile() decodes as CPython decodes a script: a PEP 263 coding cookie
            # or a UTF-8 BOM, else UTF-8, and undecodable bytes are a SyntaxError.
            compiled = compile(code, _filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                               dont_inherit=True)
            _remember_source(compiled, code)
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


def _remember_source(compiled, code):
    """Lets tracebacks show the source lines, as CPython does for scripts and for -c."""
    try:
        if isinstance(code, str):
            # Registered when a traceback needs it (_register_pending): registering walks every
            # constant of the code, which costs as much as a tenth of compiling it.
            _pending_sources.append((compiled, code))
        else:
            text = _decode_source(code)
            linecache.cache[_filename] = (len(text), None, text.splitlines(True), _filename)
    except Exception:
        pass  # tracebacks without source lines, as before


def _register_pending():
    # Keyed by code object, as CPython 3.14 does for -c, so a function defined by an earlier
    # execution keeps its own lines although every execution is "<string>".
    while _pending_sources:
        compiled, code = _pending_sources.popleft()
        try:
            linecache._register_code(compiled, code, _FILENAME)
        except Exception:
            pass


def _decode_source(data):
    # compile() has accepted the bytes, so they decode; tokenize finds the cookie as CPython does.
    first_lines = data.split(b"\n", 2)[:2]
    if data.startswith(b"\xef\xbb\xbf") or not any(b"coding" in line for line in first_lines):
        return data.decode("utf-8-sig", "replace")
    import io
    import tokenize
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding, "replace")


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
        # As CPython's exit status: the int as a C long long, truncated to a C int; -1 when it
        # does not fit (the process exit status is then the low 8 bits, so sys.exit(2**64) is 255).
        if not -(1 << 63) <= code < (1 << 63):
            return -1
        return ((code + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
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
    # named "<string>" once per frame, which makes a RecursionError's traceback take seconds; the
    # lines come from the code objects instead (_remember_source).
    linecache.cache[_FILENAME] = (0, None, [], _FILENAME)
    try:
        tb = _user_frames(error.__traceback__)
        if _depth(tb) <= _MAX_FRAMES_WITH_LINES:
            _register_pending()
            lines = traceback.format_exception(type(error), error, tb)
        else:
            lines = _format_without_lines(error, tb)
        text = "".join(lines)
    except Exception:
        text = type(error).__name__ + (": " + message if message else "") + "\n"
    return {"type": type(error).__name__, "message": message, "traceback": text}


def _depth(tb):
    depth = 0
    while tb is not None and depth <= _MAX_FRAMES_WITH_LINES:
        depth += 1
        tb = tb.tb_next
    return depth


def _format_without_lines(error, tb):
    # Hides the registered sources while formatting; the entries keep linecache off sys.path.
    saved_cache, saved_code_cache = linecache.cache, linecache._interactive_cache
    linecache.cache = {_FILENAME: (0, None, [], _FILENAME), _filename: (0, None, [], _filename)}
    linecache._interactive_cache = {}
    try:
        return traceback.format_exception(type(error), error, tb)
    finally:
        linecache.cache, linecache._interactive_cache = saved_cache, saved_code_cache


def _user_frames(tb):
    # Drop the runtime's own frames so the traceback reads as if CPython ran the code directly.
    while tb is not None and tb.tb_frame.f_code.co_filename != _filename:
        tb = tb.tb_next
    return tb


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
