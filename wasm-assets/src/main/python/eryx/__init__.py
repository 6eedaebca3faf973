"""eryx: the guest side of the sandbox.

Host callbacks registered on the Java side appear here (issue: host callbacks). The execution
machinery lives in ``eryx._runtime``; the sandbox event loop in ``eryx._loop``.
"""
