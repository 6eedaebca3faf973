"""eryx: the guest side of the sandbox.

Host callbacks registered on the Java side (``Sandbox.builder().callback(...)``) are ``async``
functions: at top level under their own names, as attributes of ``eryx.tools``, and through
``eryx.invoke(name, **kwargs)``; ``eryx.list_callbacks()`` describes them. The execution machinery
lives in ``eryx._runtime``; the sandbox event loop in ``eryx._loop``.
"""
from eryx._callbacks import CallbackError, invoke, list_callbacks, tools

__all__ = ["CallbackError", "invoke", "list_callbacks", "tools"]
