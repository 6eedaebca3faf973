"""The guest's ``socket`` module backed by the host (docs/network.md, "How the guest's sockets work").

WASI preview 1 cannot create, resolve or connect sockets, so the stdlib ``socket`` module is patched
here, once, when the runtime starts:

- ``getaddrinfo``, ``gethostbyname(_ex)`` and ``getnameinfo`` ask the host (NET_RESOLVE), which
  checks the name against the sandbox's NetworkPolicy before any DNS query;
- ``socket.socket(AF_INET or AF_INET6, SOCK_STREAM)`` gets a socket descriptor from the host
  (NET_SOCKET) and is then CPython's own C socket on that descriptor: ``recv``/``send``/
  ``settimeout``/``shutdown``/``close`` are unchanged and reach the host through WASI;
- ``connect``/``connect_ex`` ask the host to connect (NET_CONNECT), with the socket's timeout. A
  non-blocking socket's connect completes synchronously (the host waits up to its connect
  timeout), so asyncio never sees EINPROGRESS;
- ``getpeername``/``getsockname`` answer what the host reported; ``setsockopt`` accepts and
  remembers options (TCP_NODELAY, SO_KEEPALIVE ...), ``getsockopt`` answers them (SO_TYPE is
  SOCK_STREAM, SO_ERROR 0);
- servers (``bind``/``listen``/``accept``), UDP, raw and local sockets and ``socketpair`` are
  refused with PermissionError.

The bridge numbers address families and socket types as the guest's own (wasi-libc) constants do:
AF_INET 1, AF_INET6 2, SOCK_STREAM 6 (not Linux's 2, 10 and 1). Failures arrive as the host's JSON ``{"type", "errno", "message", ...}`` and are
raised as that exception class (``raise_host_error``).

Nothing here calls the host at import or install time: the interpreter image every sandbox
restores is captured after the runtime starts.
"""
import builtins
import errno as _errno
import socket
import sys

import _eryx
import _socket
from eryx import _bridge

_AF_INET = _socket.AF_INET
_AF_INET6 = _socket.AF_INET6
_SOCK_STREAM = _socket.SOCK_STREAM
_TYPE_FLAGS = getattr(_socket, "SOCK_NONBLOCK", 0) | getattr(_socket, "SOCK_CLOEXEC", 0)
# Guest constant -> the bridge's number (the same: wasi-libc's values, as the host declares them).
_BRIDGE_FAMILY = {_socket.AF_UNSPEC: _socket.AF_UNSPEC, _AF_INET: _AF_INET, _AF_INET6: _AF_INET6}
_BRIDGE_SOCK_STREAM = _SOCK_STREAM
_SERVICES = {"http": 80, "https": 443, "ftp": 21, "ssh": 22, "smtp": 25, "imap": 143, "imaps": 993,
             "pop3": 110, "pop3s": 995, "submission": 587, "smtps": 465, "domain": 53, "ldap": 389,
             "ldaps": 636, "socks": 1080, "http-alt": 8080}
_SERVER_REFUSED = ("is not available in the sandbox: only outgoing TCP connections (client sockets)"
                   " are allowed")

# fd -> what the host told us about the connection on that descriptor: {"peer", "local", "opts"}.
# Keyed by descriptor, not socket object: socket.socket has __slots__, and ssl's SSLSocket takes
# over the descriptor of the socket it wraps (detach + a new object on the same fd).
_state = {}

_OriginalSocket = _socket.socket


def invoke(op, payload):
    """Performs a network bridge operation; raises the host's failure as its Python exception."""
    try:
        response = _eryx.invoke(op, _bridge.encode(payload))
    except RuntimeError as failure:
        raise_host_error(str(failure))
    return _bridge.decode(response) if response else {}


def raise_host_error(text):
    """Raises the exception the host's failure JSON names (contract: type, errno, message)."""
    try:
        error = _bridge.decode(text.encode())
        if not isinstance(error, dict) or "type" not in error:
            raise ValueError
    except Exception:
        raise OSError(_errno.EIO, text) from None
    raise _exception_for(error) from None


def _exception_for(error):
    kind = str(error.get("type") or "OSError")
    message = str(error.get("message") or kind)
    name = error.get("errno")
    if kind == "gaierror":
        code = getattr(_socket, name, None) if isinstance(name, str) else None
        return socket.gaierror(code if isinstance(code, int) else _socket.EAI_NONAME, message)
    if kind.startswith("SSL"):
        ssl_module = sys.modules.get("_ssl")
        cls = getattr(ssl_module, kind, None) if ssl_module is not None else None
        if not (isinstance(cls, type) and issubclass(cls, OSError)):
            cls = getattr(ssl_module, "SSLError", OSError)
        return ssl_module.make_error(cls, error) if hasattr(ssl_module, "make_error") else cls(message)
    cls = getattr(builtins, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = OSError
    if issubclass(cls, OSError):
        code = getattr(_errno, name, None) if isinstance(name, str) else None
        if code is None and cls is TimeoutError:
            code = _errno.ETIMEDOUT
        return cls(code, message) if code is not None else cls(message)
    return cls(message)


# --- name resolution --------------------------------------------------------------------------

def _host_name(host):
    if host is None:
        return "localhost"
    if isinstance(host, (bytes, bytearray)):
        return bytes(host).decode("ascii")
    if not isinstance(host, str):
        raise TypeError(f"getaddrinfo() argument 1 must be string or None, not {type(host).__name__}")
    try:
        host.encode("ascii")
        return host
    except UnicodeEncodeError:
        return host.encode("idna").decode("ascii")


def _port_number(port):
    if port is None:
        return None
    if isinstance(port, int):
        return port
    if isinstance(port, (bytes, bytearray)):
        port = bytes(port).decode("ascii")
    if isinstance(port, str):
        if port.isdigit():
            return int(port)
        if port in _SERVICES:
            return _SERVICES[port]
        raise socket.gaierror(_socket.EAI_SERVICE, "Servname not supported for ai_socktype")
    raise OSError("Int or String expected")


def _is_literal(host, family):
    address = host.split("%", 1)[0]
    for candidate in (_AF_INET, _AF_INET6):
        if family in (0, candidate):
            try:
                _socket.inet_pton(candidate, address)
                return True
            except (OSError, ValueError):
                pass
    return False


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """socket.getaddrinfo answered by the host: TCP results only (the sandbox has no UDP)."""
    name = _host_name(host)
    number = _port_number(port)
    if family not in _BRIDGE_FAMILY:
        raise socket.gaierror(_socket.EAI_FAMILY, "ai_family not supported")
    base_type = type & ~_TYPE_FLAGS
    if base_type not in (0, _SOCK_STREAM):
        raise socket.gaierror(_socket.EAI_SOCKTYPE, "ai_socktype not supported: the sandbox has only"
                              " TCP (SOCK_STREAM) sockets")
    if flags & _socket.AI_NUMERICHOST and not _is_literal(name, family):
        raise socket.gaierror(_socket.EAI_NONAME, "Name or service not known")
    answer = invoke(_bridge.NET_RESOLVE, {"host": name, "port": number,
                                        "family": _BRIDGE_FAMILY[family],
                                        "type": _BRIDGE_SOCK_STREAM, "flags": flags})
    canonname = answer.get("canonname") or name if flags & _socket.AI_CANONNAME else ""
    results = []
    for _, address in answer.get("addrs", ()):
        v6 = ":" in address
        guest_family = _AF_INET6 if v6 else _AF_INET
        if family not in (0, guest_family):
            continue
        sockaddr = (address, number or 0, 0, 0) if v6 else (address, number or 0)
        results.append((guest_family, _SOCK_STREAM, _socket.IPPROTO_TCP, canonname, sockaddr))
        canonname = ""
    if not results:
        raise socket.gaierror(_socket.EAI_NONAME, f"{name}: no address of the requested family")
    return results


def gethostbyname(hostname):
    return getaddrinfo(hostname, None, _AF_INET)[0][4][0]


def gethostbyname_ex(hostname):
    addresses = [entry[4][0] for entry in getaddrinfo(hostname, None, _AF_INET)]
    return _host_name(hostname), [], addresses


def gethostbyaddr(address):
    raise socket.herror(1, "reverse lookups are not available in the sandbox")


def getnameinfo(sockaddr, flags):
    """Numeric only: the sandbox does no reverse lookups (NI_NAMEREQD fails)."""
    if not isinstance(sockaddr, tuple) or len(sockaddr) < 2:
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    address, port = sockaddr[0], sockaddr[1]
    if flags & _socket.NI_NAMEREQD:
        raise socket.gaierror(_socket.EAI_NONAME, "Name or service not known")
    if not _is_literal(address, 0):
        address = getaddrinfo(address, port, 0, _SOCK_STREAM)[0][4][0]
    return address, str(port)


def gethostname():
    return "localhost"


def _socketpair(family=None, type=_SOCK_STREAM, proto=0):
    raise PermissionError(_errno.EPERM, "socket.socketpair() is not available in the sandbox: it"
                          " has no local sockets")


# --- socket methods -------------------------------------------------------------------------

_socket_init = socket.socket.__init__


def _init(self, family=-1, type=-1, proto=-1, fileno=None):
    if fileno is not None:
        # Adopting a descriptor (ssl.SSLSocket, socket.fromfd): without explicit values CPython would
        # ask the descriptor with getsockname/getsockopt, which WASI sockets cannot answer.
        _socket_init(self, _AF_INET if family == -1 else family,
                     _SOCK_STREAM if type == -1 else type, 0 if proto == -1 else proto, fileno)
        return
    family = _AF_INET if family == -1 else family
    type = _SOCK_STREAM if type == -1 else type
    proto = 0 if proto == -1 else proto
    if family not in (_AF_INET, _AF_INET6):
        raise PermissionError(_errno.EPERM, f"address family {family} is not available in the sandbox:"
                              " only AF_INET and AF_INET6 TCP client sockets")
    if type & ~_TYPE_FLAGS != _SOCK_STREAM or proto not in (0, _socket.IPPROTO_TCP):
        raise PermissionError(_errno.EPERM, "UDP and raw sockets are not available in the sandbox:"
                              " only TCP client sockets (SOCK_STREAM)")
    fd = invoke(_bridge.NET_SOCKET, {"family": _BRIDGE_FAMILY[family], "type": _BRIDGE_SOCK_STREAM,
                                   "proto": 0})["fd"]
    try:
        _socket_init(self, family, type, proto, fd)
    except BaseException:
        import os
        try:
            os.close(fd)
        except OSError:
            pass
        raise
    _state[fd] = {"opts": {}}


def _state_of(sock):
    return _state.setdefault(sock.fileno(), {"opts": {}})


def _split_address(sock, address):
    family = sock.family
    if family == _AF_INET:
        if not isinstance(address, tuple) or len(address) != 2:
            raise TypeError(f"AF_INET address must be tuple, not {type(address).__name__}")
    elif family == _AF_INET6:
        if not isinstance(address, tuple) or not 2 <= len(address) <= 4:
            raise TypeError(f"AF_INET6 address must be tuple, not {type(address).__name__}")
    host_part, port = address[0], address[1]
    if not isinstance(port, int):
        raise TypeError(f"'{type(port).__name__}' object cannot be interpreted as an integer")
    if not 0 <= port <= 65535:
        raise OverflowError("connect(): port must be 0-65535.")
    name = _host_name(host_part)
    if not _is_literal(name, family):
        # CPython resolves a name given to connect() itself; so does this, through the host.
        name = getaddrinfo(name, port, family, _SOCK_STREAM)[0][4][0]
    return name, port


def _connect(self, address):
    if self.family not in (_AF_INET, _AF_INET6):
        return _OriginalSocket.connect(self, address)
    fd = self.fileno()
    if fd < 0:
        raise OSError(_errno.EBADF, "Bad file descriptor")
    state = _state_of(self)
    if "peer" in state:
        raise OSError(_errno.EISCONN, "Transport endpoint is already connected")
    name, port = _split_address(self, address)
    timeout = self.gettimeout()
    answer = invoke(_bridge.NET_CONNECT, {"fd": fd, "address": name, "port": port,
                                        "timeout": timeout if timeout else None})
    state["peer"] = _sockaddr(answer.get("peer") or (name, port))
    state["local"] = _sockaddr(answer.get("local") or ("0.0.0.0", 0))


def _connect_ex(self, address):
    try:
        _connect(self, address)
    except socket.gaierror:
        raise
    except OSError as error:
        if error.errno is None:
            raise
        return error.errno
    return 0


def _sockaddr(pair):
    address, port = pair[0], int(pair[1])
    return (address, port, 0, 0) if ":" in address else (address, port)


def _getpeername(self):
    peer = _state.get(self.fileno(), {}).get("peer")
    if peer is None:
        raise OSError(_errno.ENOTCONN, "Transport endpoint is not connected")
    return peer


def _getsockname(self):
    local = _state.get(self.fileno(), {}).get("local")
    if local is None:
        return ("::", 0, 0, 0) if self.family == _AF_INET6 else ("0.0.0.0", 0)
    return local


def _setsockopt(self, level, optname, value, optlen=None):
    # Nothing to set on a host connection the guest does not own; remembered for getsockopt.
    _state_of(self)["opts"][(level, optname)] = value


def _getsockopt(self, level, optname, buflen=None):
    if level == _socket.SOL_SOCKET and optname == _socket.SO_TYPE:
        value = _SOCK_STREAM
    elif level == _socket.SOL_SOCKET and optname == getattr(_socket, "SO_ERROR", 4):
        value = 0
    else:
        value = _state.get(self.fileno(), {}).get("opts", {}).get((level, optname), 0)
    if buflen is None:
        return value if isinstance(value, int) else int.from_bytes(bytes(value)[:4].ljust(4, b"\0"),
                                                                   sys.byteorder)
    data = value if isinstance(value, (bytes, bytearray)) else int(value).to_bytes(4, sys.byteorder)
    return bytes(data)[:buflen].ljust(min(buflen, 4), b"\0")


def _refuse(what):
    def refused(self, *args, **kwargs):
        raise PermissionError(_errno.EPERM, f"{what} {_SERVER_REFUSED}")
    refused.__name__ = what.split("(")[0]
    return refused


_real_close = socket.socket._real_close


def _forget_then_close(self, _ss=_OriginalSocket):
    _state.pop(self.fileno(), None)
    _real_close(self, _ss)


def install():
    """Backs the stdlib socket module with the host (module docstring). Idempotent."""
    cls = socket.socket
    if getattr(cls, "_eryx_network", False):
        return
    cls.__init__ = _init
    cls.connect = _connect
    cls.connect_ex = _connect_ex
    cls.getpeername = _getpeername
    cls.getsockname = _getsockname
    cls.setsockopt = _setsockopt
    cls.getsockopt = _getsockopt
    cls.bind = _refuse("bind()")
    cls.listen = _refuse("listen()")
    cls.accept = _refuse("accept()")
    cls._accept = _refuse("accept()")
    cls._real_close = _forget_then_close
    cls._eryx_network = True
    functions = {"getaddrinfo": getaddrinfo, "gethostbyname": gethostbyname,
                 "gethostbyname_ex": gethostbyname_ex, "gethostbyaddr": gethostbyaddr,
                 "getnameinfo": getnameinfo, "gethostname": gethostname}
    for name, function in functions.items():
        setattr(_socket, name, function)
        if name != "getaddrinfo":  # socket.getaddrinfo wraps _socket's, adding the enums
            setattr(socket, name, function)
    _socket.socketpair = _socketpair
    socket.socketpair = _socketpair
    if not hasattr(_socket, "SO_ERROR"):
        _socket.SO_ERROR = socket.SO_ERROR = 4
    if not hasattr(_socket, "SO_KEEPALIVE"):
        _socket.SO_KEEPALIVE = socket.SO_KEEPALIVE = 9
    if not hasattr(_socket, "SO_REUSEADDR"):
        _socket.SO_REUSEADDR = socket.SO_REUSEADDR = 2
    _install_ssl()


def _install_ssl():
    """Makes the stdlib ssl module importable over eryx._ssl, and tells asyncio's modules, which
    remember ``ssl = None`` if ssl failed to import when they were imported."""
    from eryx import _ssl
    sys.modules.setdefault("_ssl", _ssl)
    import ssl
    for name in ("asyncio.base_events", "asyncio.selector_events", "asyncio.sslproto"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "ssl", None) is None:
            module.ssl = ssl
    sslproto = sys.modules.get("asyncio.sslproto")
    if sslproto is not None and not hasattr(sslproto, "SSLAgainErrors"):
        sslproto.SSLAgainErrors = (ssl.SSLWantReadError, ssl.SSLSyscallError)
