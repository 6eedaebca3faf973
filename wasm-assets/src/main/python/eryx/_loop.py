"""An asyncio event loop that runs without sockets.

CPython's default loop needs a self-pipe built from a socketpair, which WASI does not have. This
loop waits through the host instead: timers sleep on the sandbox clock, and (with host callbacks)
the wait is where finished host calls come back in.
"""
import asyncio
import time
from asyncio import base_events


class _HostSelector:
    """Stands in for the selector BaseEventLoop waits on; there are no file descriptors to watch."""

    def select(self, timeout):
        if timeout is None:
            raise RuntimeError(
                "the sandbox event loop is idle: no timer or host call can wake the awaiting task")
        if timeout > 0:
            time.sleep(timeout)
        return []

    def get_map(self):
        return {}

    def close(self):
        pass


class SandboxEventLoop(base_events.BaseEventLoop):
    def __init__(self):
        super().__init__()
        self._selector = _HostSelector()

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass


def install():
    """Makes asyncio.run() and new_event_loop() build SandboxEventLoop."""
    policy = asyncio.events._get_event_loop_policy()
    policy._loop_factory = SandboxEventLoop


def run(coroutine):
    with asyncio.Runner(loop_factory=SandboxEventLoop) as runner:
        return runner.run(coroutine)
