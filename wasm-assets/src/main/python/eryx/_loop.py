"""The sandbox's asyncio event loop, and the wiring that makes asyncio use it.

CPython's selector loop needs a self-pipe built from a socketpair, which the sandbox does not
have; this one is a selector loop without it (only one thread exists, so nothing needs waking).
Its selector waits on everything at once, in ONE ``select.poll`` call: the sockets the loop
watches, the host's callback notifier (a descriptor readable while a host callback has finished,
NET_NOTIFIER) and the next timer. Finished host calls are collected when the notifier is readable.
Without sockets to watch, the wait is the host's POLL (host calls) or a sleep (timers only), as
before sockets existed. Name resolution runs inline: WASI has no threads for an executor.

Python 3.14 picks a loop in three places, and all of them must build this one:
- ``asyncio.run()`` / ``asyncio.Runner()`` without a ``loop_factory`` and ``asyncio.new_event_loop()``
  call the policy's ``new_event_loop()``, which instantiates the policy class's ``_loop_factory``;
- ``asyncio.EventLoop`` (the documented explicit ``loop_factory``) and ``SelectorEventLoop`` name the
  platform's selector loop class directly;
- ``asyncio.get_event_loop()`` returns the running loop, else the policy's current loop (3.14 no
  longer creates one on demand).
"""
import asyncio
import errno
import math
import select
import selectors
import socket
import time
from asyncio import events, selector_events, unix_events

import _eryx
from eryx import _bridge, _callbacks

# The notifier descriptor, asked for when first needed (never at import: the interpreter image is
# captured after start-up, and a descriptor of the template sandbox would mean nothing in another).
_notifier = None
# How long one wait lasts when the host offers no notifier (an older host): host calls are then
# checked between slices.
_SLICE = 0.01


def _notifier_fd():
    global _notifier
    if _notifier is None:
        try:
            answer = _bridge.decode(_eryx.invoke(_bridge.NET_NOTIFIER, b""))
            _notifier = int(answer["fd"])
        except Exception:
            _notifier = -1
    return _notifier if _notifier >= 0 else None


def forget_host_state():
    """A restored interpreter: the notifier descriptor it remembers belongs to another sandbox."""
    global _notifier
    _notifier = None


class _SandboxSelector(selectors.PollSelector):
    """Waits on sockets, finished host calls and the next timer together (module docstring)."""

    def select(self, timeout=None):
        calls = _callbacks.pending()
        if not self._fd_to_key:
            return self._wait_without_sockets(calls, timeout)
        notifier = _notifier_fd() if calls else None
        if calls and notifier is None:
            timeout = _SLICE if timeout is None else min(timeout, _SLICE)
        if timeout is None:
            millis = None
        elif timeout <= 0:
            millis = 0
        else:
            millis = math.ceil(timeout * 1e3)
        poller = self._selector
        if notifier is not None:
            poller.register(notifier, select.POLLIN)
        try:
            fd_events = poller.poll(millis)
        except InterruptedError:
            return []
        except OSError as error:
            if error.errno == errno.ECANCELED:
                return []  # the host is stopping the execution: its interrupt follows at once
            raise
        finally:
            if notifier is not None:
                poller.unregister(notifier)
        ready = []
        collect = calls and notifier is None
        for fd, event in fd_events:
            if fd == notifier:
                if event & select.POLLNVAL:
                    forget_host_state()
                collect = True
                continue
            key = self._fd_to_key.get(fd)
            if key is None:
                continue
            events_ = 0
            if event & ~select.POLLIN:
                events_ |= selectors.EVENT_WRITE
            if event & ~select.POLLOUT:
                events_ |= selectors.EVENT_READ
            ready.append((key, events_ & key.events))
        if collect:
            _callbacks.poll(0)
        return ready

    @staticmethod
    def _wait_without_sockets(calls, timeout):
        if calls:
            # Host calls are running: wait for the first of them or the next timer (None: no timer).
            _callbacks.poll(timeout)
            return []
        if timeout is None:
            raise RuntimeError(
                "the sandbox event loop is idle: no timer, socket or host call can wake the"
                " awaiting task")
        if timeout > 0:
            # The host cuts this sleep short when it stops the execution; the interrupt is then
            # raised at the next bytecode.
            time.sleep(timeout)
        return []


class SandboxEventLoop(selector_events.BaseSelectorEventLoop):
    def __init__(self, selector=None):
        super().__init__(_SandboxSelector() if selector is None else selector)

    # No self-pipe: only one thread exists, so nothing can be waiting in select() while a callback
    # is added from elsewhere.
    def _make_self_pipe(self):
        self._ssock = self._csock = None

    def _close_self_pipe(self):
        pass

    def _write_to_self(self):
        pass

    async def getaddrinfo(self, host, port, *, family=0, type=0, proto=0, flags=0):
        return socket.getaddrinfo(host, port, family, type, proto, flags)

    async def getnameinfo(self, sockaddr, flags=0):
        return socket.getnameinfo(sockaddr, flags)


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
