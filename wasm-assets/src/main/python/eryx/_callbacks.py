"""Host callbacks as ``async`` Python functions (the host half is dev.eryx.internal.callbacks).

Awaiting a callback sends START to the host, which runs the Java function on a host thread and
answers with an id at once; the awaiting task then waits on a Future. The sandbox event loop's
selector (``eryx._loop``) waits for finished host calls with POLL whenever calls are pending, and
:func:`poll` resolves their Futures, so any number of callbacks run at the same time under
``asyncio.gather`` while timers keep working.
"""
import asyncio
import re
import sys

import _eryx
from eryx import _bridge


class CallbackError(RuntimeError):
    """A host callback failed; the message is the host's, without its stack trace."""


# id -> Future of a host call this interpreter is waiting for.
_pending = {}
# name -> {"name", "description", "schema"}, as the host described them.
_specs = {}
_ERRORS = {"TypeError": TypeError, "TimeoutError": TimeoutError}
_ID = re.compile(rb'\{"id":(\d+),')


class _Tools:
    """``eryx.tools``: the host callbacks as attributes (``await tools.search(query="x")``)."""

    def __getattr__(self, name):
        try:
            return _functions[name]
        except KeyError:
            raise AttributeError(f"no host callback named {name!r}") from None

    def __dir__(self):
        return sorted(_functions)

    def __iter__(self):
        return iter(sorted(_functions))

    def __repr__(self):
        return f"<eryx.tools: {', '.join(sorted(_functions)) or 'none'}>"


_functions = {}
tools = _Tools()


def list_callbacks():
    """The host callbacks: a list of ``{"name", "description", "schema"}`` dicts."""
    return [dict(spec) for spec in _specs.values()]


async def invoke(name, /, *args, **kwargs):
    """Calls the host callback ``name``; keyword arguments become its JSON object of arguments."""
    spec = _specs.get(name)
    if spec is None:
        raise NameError(f"no host callback named {name!r}")
    arguments = _arguments(spec, args, kwargs)
    try:
        data = _bridge.encode_value({"name": name, "args": arguments})
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}(): arguments must be JSON-serialisable: {error}") from None
    loop = asyncio.get_running_loop()
    try:
        call_id = int(_eryx.invoke(_bridge.START, data))
    except RuntimeError as error:
        raise CallbackError(str(error)) from None
    future = loop.create_future()
    _pending[call_id] = future
    try:
        return await future
    except asyncio.CancelledError:
        if _pending.pop(call_id, None) is not None:
            try:
                _eryx.invoke(_bridge.CANCEL, str(call_id).encode())
            except Exception:
                pass
        raise


def _arguments(spec, args, kwargs):
    if not args:
        return kwargs
    schema = spec.get("schema") or {}
    names = list(schema.get("properties") or {}) if isinstance(schema, dict) else []
    name = spec["name"]
    if len(args) > len(names):
        raise TypeError(f"{name}() takes {len(names)} positional argument{'s' if len(names) != 1 else ''}"
                        f" but {len(args)} were given")
    for key, value in zip(names, args):
        if key in kwargs:
            raise TypeError(f"{name}() got multiple values for argument {key!r}")
        kwargs[key] = value
    return kwargs


def pending():
    return bool(_pending)


def poll(timeout):
    """Waits up to ``timeout`` seconds (None: until one finishes) for host calls; resolves their
    Futures. Called by the event loop's selector only while calls are pending."""
    millis = -1 if timeout is None else max(0, int(timeout * 1000 + 0.999))
    while _pending:
        try:
            response = _eryx.invoke(_bridge.POLL, str(millis).encode())
        except TimeoutError:
            return
        except RuntimeError as error:
            # The host knows none of our calls: they belonged to an execution that has ended.
            _fail_all(str(error))
            return
        _deliver_response(response)
        millis = 0  # collect whatever else has finished, without waiting again


def _deliver_response(response):
    """Resolves the Future a POLL response is for. A result the guest cannot decode (an int over
    sys.get_int_max_str_digits(), memory) fails that call's await, where the caller can catch it,
    instead of the event loop: the host writes the id first, so it is known without decoding."""
    try:
        outcome = _bridge.decode(response)
    except Exception as error:
        match = _ID.match(response)
        future = _pending.pop(int(match.group(1)), None) if match else None
        if future is None:
            return
        if not future.done():
            kind = next((k for k in (ValueError, MemoryError, RecursionError) if isinstance(error, k)),
                        CallbackError)
            future.set_exception(kind(f"the host callback's result cannot be decoded: {error}"))
        return
    _deliver(outcome)


def _deliver(outcome):
    future = _pending.pop(outcome.get("id"), None)
    if future is None or future.done():
        return
    if outcome.get("ok"):
        future.set_result(outcome.get("value"))
    elif outcome.get("type") == "CancelledError":
        future.set_exception(CallbackError(outcome.get("error") or "cancelled"))
    else:
        error_type = _ERRORS.get(outcome.get("type"), CallbackError)
        future.set_exception(error_type(outcome.get("error") or "host callback failed"))


def _fail_all(message):
    futures = list(_pending.values())
    _pending.clear()
    for future in futures:
        if not future.done():
            future.set_exception(CallbackError(message))


def reset():
    """Called before each execution: host calls of an earlier execution were cancelled when it ended."""
    if _pending:
        _fail_all("the execution that started this host call has ended")


def install(specs, namespace):
    """Makes the host's callbacks callable: in ``eryx.tools`` and as top-level names."""
    _specs.clear()
    _functions.clear()
    for spec in specs:
        _specs[spec["name"]] = spec
        function = _make(spec["name"], spec.get("description") or "")
        _functions[spec["name"]] = function
        try:
            namespace[spec["name"]] = function
        except BaseException:
            pass  # a global key of the user's own compares badly; eryx.tools still has it


def _make(name, description):
    async def callback(*args, **kwargs):
        return await invoke(name, *args, **kwargs)
    callback.__name__ = callback.__qualname__ = name
    callback.__doc__ = description
    callback.__module__ = "eryx.tools"
    return callback


# Tracing (Sandbox.builder().tracer): sys.monitoring events of the submitted code only, sent to the
# host with EMIT. Nothing is registered unless the host asks for it, so tracing off costs nothing.
_TRACE_TOOL = 4  # a sys.monitoring tool id (0..5) that neither debuggers nor profilers use
_EMIT_TRACE = bytes((_bridge.EMIT_TRACE,))
_trace_file = "<string>"
_type_name = type.__dict__["__name__"].__get__  # the class's own name: a metaclass cannot fake it


def start_tracing(filename):
    global _trace_file
    _trace_file = filename
    monitoring = sys.monitoring
    if monitoring.get_tool(_TRACE_TOOL) is None:
        monitoring.use_tool_id(_TRACE_TOOL, "eryx")
        events = monitoring.events
        monitoring.register_callback(_TRACE_TOOL, events.LINE, _on_line)
        monitoring.register_callback(_TRACE_TOOL, events.PY_START, _on_start)
        monitoring.register_callback(_TRACE_TOOL, events.PY_RETURN, _on_return)
        monitoring.register_callback(_TRACE_TOOL, events.RAISE, _on_raise)
    events = monitoring.events
    monitoring.set_events(_TRACE_TOOL, events.LINE | events.PY_START | events.PY_RETURN | events.RAISE)


def stop_tracing():
    sys.monitoring.set_events(_TRACE_TOOL, 0)


def _emit(kind, code, line, detail=None):
    event = {"k": kind, "f": code.co_filename, "l": line, "fn": code.co_qualname}
    if detail is not None:
        event["x"] = detail
    try:
        _eryx.invoke(_bridge.EMIT, _EMIT_TRACE + _bridge.encode(event))
    except Exception:
        pass


def _line_of(code, offset):
    for start, end, line in code.co_lines():
        if start <= offset < end:
            return line or 0
    return 0


def _on_line(code, line):
    if code.co_filename != _trace_file:
        return sys.monitoring.DISABLE  # stdlib and eryx code: never reported here again
    _emit("line", code, line)


def _on_start(code, offset):
    if code.co_filename != _trace_file:
        return sys.monitoring.DISABLE
    _emit("call", code, code.co_firstlineno)


def _on_return(code, offset, value):
    if code.co_filename != _trace_file:
        return sys.monitoring.DISABLE
    _emit("return", code, _line_of(code, offset))


def _on_raise(code, offset, exception):
    # RAISE is not a local event: it cannot be disabled per location.
    if code.co_filename == _trace_file:
        _emit("exception", code, _line_of(code, offset), _type_name(type(exception)))
