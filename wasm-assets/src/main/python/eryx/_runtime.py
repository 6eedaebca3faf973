"""Runs one host request in the persistent ``__main__`` namespace and reports the outcome.

Called from C (``eryx_exec``) once per ``Sandbox.execute``. Globals persist between calls, like a
REPL. The outcome is one JSON object sent back through the bridge; output has already been
streamed through WASI stdout/stderr while the code ran.

User code must not be able to break this module: every place it touches a user object (the
``result`` value, an exception's ``__str__``, a ``SystemExit`` code, ``sys.stdout``, globals with
hostile ``__eq__``/``__hash__`` keys) catches ``BaseException`` and falls back to a safe text, and
:func:`execute` itself never raises (a SystemExit escaping it would end the interpreter from C).
Only replacing the runtime's own private functions can still break it: then no outcome reaches
the host, which retires the sandbox.
"""
import ast
import builtins
import collections
import linecache
import signal
import sys
import traceback

import _sitebuiltins
from marshal import loads as _marshal_loads
from os import write as _write

# Bound now, as the cache's compiler (a fresh interpreter) has them: a hit must behave as compiling
# here does, also after user code replaced builtins.compile (which then affects only its own calls).
_compile = builtins.compile
_get_int_max_str_digits = sys.get_int_max_str_digits
_IMAGE_INT_MAX_STR_DIGITS = sys.get_int_max_str_digits()  # the compiler's: same image

import _eryx
from eryx import _net

# The network-backed socket module and the host-backed ssl module, before asyncio is imported:
# asyncio's modules remember whether ssl imported. Nothing here calls the host.
_net.install()

from eryx import _bridge, _callbacks, _loop  # noqa: E402 (after _net.install)

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
# An outcome's error message and traceback are clipped to this many characters: the host accepts
# strings of at least 1 MiB (GuestJson.MIN_STRING_CHARS) whatever the sandbox's output allowance.
_TEXT_LIMIT = 1_000_000
# Bound now: user code may replace the module attributes, not these objects.
_set_signal = signal.signal
_SIGINT = signal.SIGINT
_recursion_limit = sys.getrecursionlimit
_type_name = type.__dict__["__name__"].__get__  # a metaclass cannot fake it
_as_str = str.__str__  # a str subclass's methods never run on the copy
_format_exception = traceback.format_exception
_format_tb = traceback.format_tb
_INT_LIMIT_MESSAGE = "Exceeds the limit ("  # int.__repr__ past sys.get_int_max_str_digits()
# sys.path as the interpreter set it up (the runtime and the stdlib): a sandbox's package
# directories go after these, set on adoption, because the image every sandbox restores is shared.
_BASE_PATH = tuple(sys.path)



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


# Memory the runtime holds back for itself. An execution that ends in MemoryError may leave the
# heap full (a global of the user's holding it); releasing this then lets the next execution's own
# machinery (request, compile, report) run, so the user can free their objects. It is taken back
# only when twice as much is free, so a full heap does not swallow it again at once.
_RESERVE_BYTES = 2 * 1024 * 1024
_reserve = bytearray(_RESERVE_BYTES)


def _release_reserve_after(outcome):
    global _reserve
    error = outcome.get("error") or {}
    if error.get("type") == "MemoryError":
        _reserve = None


def _retake_reserve():
    global _reserve
    if _reserve is None:
        try:
            probe = bytearray(2 * _RESERVE_BYTES)
            del probe
            _reserve = bytearray(_RESERVE_BYTES)
        except MemoryError:
            pass


def execute():
    """One execution: request, run, report. Never raises: a SystemExit leaving it would end the
    interpreter from C."""
    global _user_code_running, _filename
    _user_code_running = False
    _retake_reserve()
    try:
        request = _bridge.invoke_json(_bridge.REQUEST)
        if "env" in request:
            _adopt_sandbox(request)
        if "callbacks" in request:
            _callbacks.install(request["callbacks"], _namespace)
        if "source" in request:
            # A script's bytes, sent as the code points of a latin-1 string: CPython decodes them.
            code = request["source"].encode("latin-1")
            _filename = request["filename"]
        else:
            code = request["code"]
            _filename = _FILENAME
        # The host's compiled code of exactly this source (CodeCache: made by a compiler sandbox
        # no user code ran in), which saves compiling it here.
        marshalled = request.get("marshal")
        tracing = request.get("trace", False)
    except BaseException as error:
        # Nothing can run: user code of an earlier execution broke what the runtime needs (its
        # private modules). Without an outcome the host retires the sandbox; stderr says why.
        _print_failure(error)
        return
    try:
        outcome, data = _execute(code, marshalled, tracing)
    except BaseException as error:  # the runtime failed after the request: report it as the error
        outcome, data = {"ok": False, "result": None, "error": _describe(error, False)}, None
    _release_reserve_after(outcome)
    _complete(outcome, data)


def _execute(code, marshalled, tracing):
    try:
        _callbacks.reset()
    except BaseException:
        pass  # the calls were forgotten all the same; only failing their Futures failed
    if tracing:
        _callbacks.start_tracing(_filename)
    try:
        outcome = _run(code, marshalled)
    finally:
        if tracing:
            try:
                _callbacks.stop_tracing()
            except BaseException:
                pass
    _flush()
    return outcome


def _print_failure(error):
    try:
        text = "".join(_format_exception(type(error), error, error.__traceback__))
    except BaseException:
        text = _safe_type_name(error) + "\n"
    try:
        _write(2, text.encode("utf-8", "backslashreplace"))
    except BaseException:
        pass


def _complete(outcome, data):
    """Reports ``outcome`` with the result's JSON ``data`` (or none). When the host refuses it (a
    result past its limits), reports that as a ValueError naming the result and the limit."""
    try:
        _send(outcome, data)
        return
    except BaseException as refusal:
        reason = _safe_str(refusal)
    about = "result cannot be returned" if data is not None else "the outcome cannot be reported"
    message = _clip(f"{about}: {reason}")
    try:
        _send({"ok": False, "result": None, "error": {
            "type": "ValueError", "message": message, "traceback": f"ValueError: {message}\n"}}, None)
    except BaseException as error:
        # Nothing more to try (user code broke the runtime's private modules): the host sees no
        # outcome and retires the sandbox; stderr says why.
        _print_failure(error)


def _send(outcome, data):
    message = _bridge.encode(outcome)
    if data is not None:
        # The result is already JSON: spliced in, not decoded and encoded again.
        message = b"".join((message[:-1], b',"result":', data, b"}"))
    _eryx.invoke(_bridge.COMPLETE, message)


def _on_interrupt(signum, frame):
    """SIGINT handler: the host's cooperative stop request (eryx_interrupt_flag) arrives as SIGINT.

    A request that lands while the runtime itself runs (reading the request, reporting the outcome)
    is dropped: raising there would lose the outcome. The host stops only a running execution, so
    such a request is for an execution that has already finished; and should the runtime hang on a
    user object (a ``__str__`` that never returns), the host's hard stop ends it.

    This is deliberately not signal.default_int_handler: asyncio.Runner replaces that one with a
    handler that merely cancels the main task, which code that never awaits would not notice.
    """
    if _user_code_running:
        raise KeyboardInterrupt


def _adopt_sandbox(request):
    """Makes an interpreter restored from a shared snapshot this sandbox's own.

    The snapshot was taken in a template sandbox; its environment and any random state seeded
    from it belong to nobody. os.urandom already reads this sandbox's WASI randomness. The
    request's "path" lists the directories of the sandbox's packages (possibly none).
    """
    import os
    _loop.forget_host_state()
    os.environ.clear()
    os.environ.update(request["env"])
    # Exactly the runtime, the stdlib and this sandbox's packages, whatever the image (or a saved
    # state's user code) left there; unchanged in the usual case, which then costs nothing more.
    path = list(_BASE_PATH) + request.get("path", [])
    try:
        unchanged = type(sys.path) is list and sys.path == path
    except BaseException:
        unchanged = False
    if not unchanged:
        sys.path = path
        _forget_path_caches(request.get("path", []))
    random = sys.modules.get("random")
    if random is not None:
        random.seed()


def _forget_path_caches(directories):
    """What importlib.invalidate_caches() would do for the sandbox's package directories, without
    its cost: it imports importlib.metadata (seconds under wasm) to clear that module's caches.
    Finders of these directories cached in the image are dropped; importlib.metadata's caches are
    cleared only if it is loaded. Namespace packages recompute their path when sys.path changes."""
    for directory in directories:
        sys.path_importer_cache.pop(directory, None)
    metadata = sys.modules.get("importlib.metadata")
    if metadata is not None:
        try:
            metadata.MetadataPathFinder.invalidate_caches()
        except Exception:
            pass  # user code of a saved state replaced it; its caches are its own


def _run(code, marshalled=None):
    """Runs the code (compiled already when ``marshalled`` is its marshalled code object); returns
    (outcome, JSON of the result or None)."""
    global _user_code_running
    try:
        try:
            _user_code_running = True
            _forget_result()
            # User code may have replaced these in an earlier execution.
            _set_signal(_SIGINT, _on_interrupt)
            _loop.ensure_current()
            compiled = None
            # The cache's compiler compiled under the image's limit on int literals' digits: under
            # another one, compiling here may fail (or succeed) where it did not.
            if marshalled is not None and _get_int_max_str_digits() == _IMAGE_INT_MAX_STR_DIGITS:
                compiled = _load(marshalled)
            if compiled is None:
                # From bytes, compile() decodes as CPython decodes a script: a PEP 263 coding
                # cookie or a UTF-8 BOM, else UTF-8, and undecodable bytes are a SyntaxError.
                compiled = _compile(code, _filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                                   dont_inherit=True)
            _remember_source(compiled, code)
            if compiled.co_flags & _CO_COROUTINE:  # the code awaits at top level
                _loop.run(eval(compiled, _namespace))
            else:
                exec(compiled, _namespace)
        finally:
            _user_code_running = False
            _set_signal(_SIGINT, _on_interrupt)  # a handler of the user's must not run here
    except SystemExit as stop:
        return _finished(_exit_code(stop))
    except BaseException as error:  # the guest's failure is data for the host, whatever it is
        return {"ok": False, "result": None, "error": _describe(error)}, None
    return _finished(None)


def _load(marshalled):
    """The code object of the host's marshalled code, or None to compile the source instead."""
    try:
        return _marshal_loads(marshalled.encode("latin-1"))
    except Exception:
        return None


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


def _finished(exit_code):
    """The outcome of code that ran to its end (or to SystemExit), with its result."""
    try:
        data = _result_json()
    except BaseException as error:
        return {"ok": False, "result": None, "error": _describe(error)}, None
    # The host accepts results nested as deeply as the guest's recursion limit (up to its own
    # bound, GuestJson.MAX_DEPTH): the encoder's C recursion guard allows far deeper.
    outcome = {"ok": True, "maxDepth": _recursion_limit()}
    if exit_code is not None:
        outcome["exitCode"] = exit_code
    return outcome, data


def _forget_result():
    try:
        _namespace.pop("result", None)
    except BaseException:
        pass  # a global key of the user's own compares badly; _lookup_result copes with it


def _lookup_result():
    """(True, value) of the global ``result``, or (False, None) when it is not set."""
    try:
        if "result" in _namespace:
            return True, _namespace["result"]
        return False, None
    except BaseException:
        pass
    # A key of the user's own with "result"'s hash and a failing __eq__ is in the way: look for
    # the string key without comparing anything but strings.
    for key, value in list(_namespace.items()):
        if type(key) is str and key == "result":
            return True, value
    return False, None


def _result_json():
    """The global ``result`` as compact ASCII JSON (bytes), or None when it is unset or not JSON
    (a type JSON cannot hold, a circular reference, NaN or an infinity, or a method of its own that
    fails with an Exception). Raises ValueError naming ``result`` and the limit for a value past a
    limit, and whatever BaseException the value's own methods raise that is not an Exception."""
    found, value = _lookup_result()
    if not found or value is None:
        return None
    try:
        return _bridge.encode_value(value)
    except RecursionError:
        raise ValueError("result cannot be returned: it is nested too deeply to convert to JSON"
                         " (the guest's C stack limit)") from None
    except MemoryError:
        raise MemoryError("result cannot be returned: out of memory converting it to JSON") from None
    except ValueError as error:
        reason = _safe_str(error)
        if reason.startswith(_INT_LIMIT_MESSAGE):
            raise ValueError(f"result cannot be returned: {reason}") from None
        return None
    except Exception:
        return None


def _exit_code(stop):
    """The exit status of SystemExit ``stop``, as CPython computes a process's."""
    try:
        code = stop.code
        if code is None:
            return 0
        if issubclass(type(code), int):
            value = int.__index__(code)
            # Like CPython: beyond a C long long the status is -1, else truncated to a C int.
            if not -2**63 <= value < 2**63:
                return -1
            return (value + 2**31) % 2**32 - 2**31
    except BaseException:
        return 1
    # As CPython does for sys.exit("message"): print it, exit status 1; a failure to print is
    # ignored, as CPython ignores it.
    try:
        print(code, file=sys.stderr)
    except BaseException:
        pass
    return 1


def _describe(error, user_frames=True):
    """The outcome's error for ``error``. Its ``__str__``, notes and chained exceptions belong to
    the user and may raise anything: every step falls back to a text of its own."""
    name = _safe_type_name(error)
    message = _safe_str(error)
    try:
        tb = BaseException.__dict__["__traceback__"].__get__(error)
        if user_frames:
            tb = _user_frames(tb)
    except BaseException:
        tb = None
    try:
        # The submitted code has no file. Without this entry linecache searches sys.path for a
        # file named "<string>" once per frame, which makes a RecursionError's traceback take
        # seconds; the lines come from the code objects instead (_remember_source).
        linecache.cache[_FILENAME] = (0, None, [], _FILENAME)
    except BaseException:
        pass
    try:
        if _depth(tb) <= _MAX_FRAMES_WITH_LINES:
            _register_pending()
            lines = _format_exception(type(error), error, tb)
        else:
            lines = _format_without_lines(error, tb)
        text = _as_str("".join(lines))
    except BaseException:
        text = _plain_traceback(tb, name, message)
    return {"type": name, "message": _clip(message), "traceback": _clip(text)}


def _plain_traceback(tb, name, message):
    # Formatting failed on something of the user's (its __str__ raised a BaseException, say): the
    # frames alone, then the exception's line as CPython prints an unprintable exception.
    try:
        frames = "".join(_format_tb(tb)) if tb is not None else ""
    except BaseException:
        frames = ""
    header = "Traceback (most recent call last):\n" if frames else ""
    return header + frames + name + (": " + message if message else "") + "\n"


def _safe_str(obj):
    try:
        return _as_str(str(obj))
    except BaseException:
        return "<exception str() failed>"


def _safe_type_name(obj):
    try:
        return _as_str(_type_name(type(obj)))
    except BaseException:
        return "BaseException"


def _clip(text):
    if len(text) <= _TEXT_LIMIT:
        return text
    half = _TEXT_LIMIT // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters omitted ...]\n{text[-half:]}"


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
        except BaseException:  # the user's own stream object: its failure is not the outcome's
            pass
