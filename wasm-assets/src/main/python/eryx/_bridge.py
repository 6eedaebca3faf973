"""Operation codes of the host bridge (docs/bridge-abi.md) and a JSON-speaking wrapper."""
import json
import json.decoder
import json.encoder

import _eryx

# Declared by the host's dev.eryx.internal.bridge.BridgeOp; BridgeAbiTest checks this copy.
CALL = 1
START = 2
POLL = 3
CANCEL = 4
EMIT = 5
REQUEST = 7
COMPLETE = 8
NET_RESOLVE = 9
NET_SOCKET = 10
NET_CONNECT = 11
NET_TLS_WRAP = 12
NET_TLS_OBJECT = 13
NET_TLS_STEP = 14
NET_NOTIFIER = 15
NET_CLOSE = 16

# EMIT event kinds: the first byte of an EMIT request (BridgeOp.EmitKind).
EMIT_TRACE = 1


def _not_json(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Every execution sends a request and an outcome through here. json.loads and json.dumps with
# options rebuild their encoder and run a whitespace regex on every call, which under Chicory cost
# about 0.6 ms of a 2-3 ms trivial execution; the C scanner and encoder cost a tenth. Bound here,
# at import, so that user code replacing json.dumps or json.loads cannot break the runtime.
_scan_once = json.decoder.scanner.make_scanner(json.decoder.JSONDecoder())
_make_encoder = json.encoder.c_make_encoder
_escape = json.encoder.encode_basestring_ascii
# The runtime's own messages are built from plain values: no circular-reference check needed.
_encode_message = _make_encoder(None, _not_json, _escape, None, ":", ",", False, False, False)


def encode(payload):
    """The runtime's own message as compact ASCII JSON, as json.dumps(payload,
    separators=(",", ":"), allow_nan=False)."""
    return "".join(_encode_message(payload, 0)).encode()


def encode_value(value):
    """User data as compact ASCII JSON, with json.dumps's errors: TypeError for what JSON cannot
    hold, ValueError for circular references and NaN or infinities."""
    encoder = _make_encoder({}, _not_json, _escape, None, ":", ",", False, False, False)
    return "".join(encoder(value, 0)).encode()


def decode(data):
    """One JSON document from the host, as json.loads(data) for the compact JSON the host sends."""
    text = data.decode()
    try:
        value, end = _scan_once(text, 0)
    except StopIteration as stop:
        raise ValueError(f"bridge message is not JSON at offset {stop.value}") from None
    if end != len(text):
        raise ValueError(f"bridge message has extra data at offset {end}")
    return value


def invoke_json(op, payload=None):
    data = b"" if payload is None else encode(payload)
    response = _eryx.invoke(op, data)
    return decode(response) if response else None
