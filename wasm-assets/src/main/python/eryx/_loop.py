"""An asyncio event loop that runs without sockets, and the wiring that makes asyncio use it.

CPython's default loop needs a self-pipe built from a socketpair, which WASI does not have. This
loop waits through the host instead: timers sleep on the sandbox clock, and (with host callbacks)
the wait is where finished host calls come back in.

Python 3.14 picks a loop in three places, and all of them must build this one:
- ``asyncio.run()`` / ``asyncio.Runner()`` without a ``loop_factory`` and ``asyncio.new_event_loop()``
  call the policy's ``new_event_loop()``, which instantiates the policy class's ``_loop_factory``;
- ``asyncio.EventLoop`` (the documented explicit ``loop_factory``) and ``SelectorEventLoop`` name the
  platform's selector loop class directly;
- ``asyncio.get_event_loop()`` returns the running loop, else the policy's current loop (3.14 no
  longer creates one on demand).
"""
import asyncio
import time
from asyncio import base_events, events, unix_events

from eryx import _callbacks


class _HostSelector:
    """Stands in for the selector BaseEventLoop waits on; there are no file descriptors to watch."""

    def select(self, timeout):
        if _callbacks.pending():
            # Host calls are running: wait for the first of them or the next timer (None: no timer).
            _callbacks.poll(timeout)
            return []
        if timeout is None:
            raise RuntimeError(
                "the sandbox event loop is idle: no timer or host call can wake the awaiting task")
        if timeout > 0:
            # The host cuts this sleep short when it stops the execution; the interrupt is then
            # raised at the next bytecode.
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
        # Only one thread exists, so nothing can be waiting in select() while a callback is added.
        pass


# The loop top-level ``await`` runs on. It lives as long as the interpreter so that tasks created by
# one execution keep running in the next one, as in CPython's asyncio REPL.
_main_loop = None


def install():
    """Makes every way asyncio builds or looks up a loop yield SandboxEventLoop (module docstring)."""
    global _main_loop
    # Class attribute, not the current policy instance: a policy created later (for example by
    # asyncio.set_event_loop_policy(None)) must build our loop too.
    unix_events._UnixDefaultEventLoopPolicy._loop_factory = SandboxEventLoop
    for module in (asyncio, unix_events):
        module.SelectorEventLoop = SandboxEventLoop
        module.EventLoop = SandboxEventLoop
    _main_loop = SandboxEventLoop()
    events.set_event_loop(_main_loop)


def ensure_current():
    """Makes the persistent loop current again if nothing is: asyncio.run() unsets the current loop
    when it finishes, and asyncio.get_event_loop() at top level should still find ours.

    Also forgets a loop still marked as running: executions start at top level, where no loop runs,
    but a host stop that lands inside run_forever()'s own clean-up leaves the mark set, and every
    later ``await`` would fail with "Cannot run the event loop while another loop is running"."""
    events._set_running_loop(None)
    policy = events._get_event_loop_policy()
    try:
        policy.get_event_loop()
    except RuntimeError:
        policy.set_event_loop(_main_loop)


def run(coroutine):
    """Runs compiled top-level-await code to completion on the persistent loop."""
    global _main_loop
    if _main_loop.is_closed():  # user code closed it: a closed loop would refuse every later await
        _main_loop = SandboxEventLoop()
    events.set_event_loop(_main_loop)
    task = _main_loop.create_task(coroutine)
    try:
        return _main_loop.run_until_complete(task)
    except BaseException as error:
        # Stopped from outside (KeyboardInterrupt from the host) or failed: the execution is over,
        # so its code must not resume when a later execution runs the loop again. The task sees the
        # cancellation (its finally blocks run) the next time the loop turns.
        task.cancel()
        if not isinstance(error, Exception):
            _abandon_loop()
        raise


def _abandon_loop():
    """Replaces the persistent loop after the host stopped an execution.

    A KeyboardInterrupt raised inside a task is stored in that task as well as raised; left in the
    loop, it would surface again through whatever awaited the task when a later execution turns
    the loop. The stopped execution's tasks are dropped with their loop instead, silently (their
    "destroyed but pending" reports belong to nobody).
    """
    global _main_loop
    _main_loop.set_exception_handler(lambda loop, context: None)
    _main_loop = SandboxEventLoop()
    events.set_event_loop(_main_loop)
