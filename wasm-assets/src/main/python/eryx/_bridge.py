"""Operation codes of the host bridge (docs/bridge-abi.md) and a JSON-speaking wrapper."""
import json

import _eryx

CALL = 1
START = 2
POLL = 3
CANCEL = 4
EMIT = 5
CONFIG = 6
REQUEST = 7
COMPLETE = 8


def invoke_json(op, payload=None):
    data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
    response = _eryx.invoke(op, data)
    return json.loads(response) if response else None
