# Checks _eryx against the stub bridge of tools/node-run.mjs, and the interrupt flag.
import _eryx, signal
assert _eryx.ABI_VERSION == 1
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
assert _eryx.invoke(1, b"hello") == b"hello" and _eryx.invoke(1, b"") == b""
for op, exc, msg in ((99, RuntimeError, "boom"), (98, TimeoutError, None), (5, NotImplementedError, None)):
    try:
        _eryx.invoke(op, b"x")
        raise AssertionError(op)
    except exc as e:
        assert msg is None or str(e) == msg, e
try:
    _eryx.invoke(97, b"")      # the stub sets eryx_interrupt_flag
except NotImplementedError:
    pass
try:
    while True:
        pass
except KeyboardInterrupt:
    print("bridge ok: invoke/errors/KeyboardInterrupt")
