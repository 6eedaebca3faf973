"""A pure-Python ``_ssl`` whose TLS is done by the host, so that the stdlib ``ssl`` module works.

python.wasm has no OpenSSL. ``eryx._net.install`` registers this module as ``_ssl`` and the stdlib
``ssl.py`` imports it unchanged. Two kinds of connection:

- ``SSLContext.wrap_socket`` on a connected socket: the handshake runs in the host
  (NET_TLS_WRAP); afterwards the descriptor's recv/send carry plaintext, so ``read``/``write``
  are the C socket's recv/send and socket timeouts keep working;
- ``SSLContext.wrap_bio`` (``ssl.SSLObject`` over two ``MemoryBIO``s, as asyncio and anyio use it):
  every operation hands the host what the incoming BIO holds and puts what the host's TLS engine
  wants to send into the outgoing BIO (NET_TLS_OBJECT, NET_TLS_STEP); ``SSLWantReadError`` when
  the engine needs more input.

Verification is always the host's, with the JDK's trust store and the NetworkPolicy's anchors:
``verify_mode``, ``check_hostname`` and the rest are settable as in CPython but change nothing
(CERT_NONE does not turn verification off). Certificates given to ``load_verify_locations`` are
sent to the host as PEM, which uses them only if the policy allows guest anchors. Client
certificates and server-side TLS are not available.
"""
import base64
import os
import re
import weakref

from eryx import _bridge

# --- versions and flags, as an OpenSSL 3.0 build of CPython reports them ----------------------

OPENSSL_VERSION_NUMBER = 0x300000F0
OPENSSL_VERSION_INFO = (3, 0, 0, 15, 0)
OPENSSL_VERSION = "OpenSSL 3.0.15 (eryx: TLS done by the host's JDK)"
_OPENSSL_API_VERSION = OPENSSL_VERSION_INFO
_DEFAULT_CIPHERS = "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK"

HAS_SNI = True
HAS_ECDH = True
HAS_NPN = False
HAS_ALPN = True
HAS_SSLv2 = False
HAS_SSLv3 = False
HAS_TLSv1 = False
HAS_TLSv1_1 = False
HAS_TLSv1_2 = True
HAS_TLSv1_3 = True
HAS_PSK = False
HAS_PHA = False

PROTOCOL_SSLv23 = PROTOCOL_TLS = 2
PROTOCOL_TLSv1 = 3
PROTOCOL_TLSv1_1 = 4
PROTOCOL_TLSv1_2 = 5
PROTOCOL_TLS_CLIENT = 16
PROTOCOL_TLS_SERVER = 17
_PROTOCOLS = (PROTOCOL_TLS, PROTOCOL_TLSv1, PROTOCOL_TLSv1_1, PROTOCOL_TLSv1_2, PROTOCOL_TLS_CLIENT,
              PROTOCOL_TLS_SERVER)

PROTO_MINIMUM_SUPPORTED = -2
PROTO_MAXIMUM_SUPPORTED = -1
PROTO_SSLv3 = 0x300
PROTO_TLSv1 = 0x301
PROTO_TLSv1_1 = 0x302
PROTO_TLSv1_2 = 0x303
PROTO_TLSv1_3 = 0x304

OP_ALL = 0x80000850
OP_NO_SSLv2 = 0
OP_NO_SSLv3 = 0x02000000
OP_NO_TLSv1 = 0x04000000
OP_NO_TLSv1_1 = 0x10000000
OP_NO_TLSv1_2 = 0x08000000
OP_NO_TLSv1_3 = 0x20000000
OP_NO_COMPRESSION = 0x00020000
OP_CIPHER_SERVER_PREFERENCE = 0x00400000
OP_SINGLE_DH_USE = 0
OP_SINGLE_ECDH_USE = 0
OP_NO_TICKET = 0x00004000
OP_NO_RENEGOTIATION = 0x40000000
OP_ENABLE_MIDDLEBOX_COMPAT = 0x00100000
OP_IGNORE_UNEXPECTED_EOF = 0x00000080
OP_LEGACY_SERVER_CONNECT = 0x00000004
OP_ENABLE_KTLS = 0x00000008
_DEFAULT_OPTIONS = (OP_ALL | OP_NO_SSLv3 | OP_NO_COMPRESSION | OP_CIPHER_SERVER_PREFERENCE
                    | OP_ENABLE_MIDDLEBOX_COMPAT) & ~OP_LEGACY_SERVER_CONNECT

CERT_NONE = 0
CERT_OPTIONAL = 1
CERT_REQUIRED = 2

VERIFY_DEFAULT = 0
VERIFY_CRL_CHECK_LEAF = 0x4
VERIFY_CRL_CHECK_CHAIN = 0xC
VERIFY_X509_STRICT = 0x20
VERIFY_ALLOW_PROXY_CERTS = 0x40
VERIFY_X509_TRUSTED_FIRST = 0x8000
VERIFY_X509_PARTIAL_CHAIN = 0x80000

HOSTFLAG_ALWAYS_CHECK_SUBJECT = 0x1
HOSTFLAG_NO_WILDCARDS = 0x2
HOSTFLAG_NO_PARTIAL_WILDCARDS = 0x4
HOSTFLAG_MULTI_LABEL_WILDCARDS = 0x8
HOSTFLAG_SINGLE_LABEL_SUBDOMAINS = 0x10
HOSTFLAG_NEVER_CHECK_SUBJECT = 0x20

ENCODING_PEM = 1
ENCODING_DER = 2

SSL_ERROR_SSL = 1
SSL_ERROR_WANT_READ = 2
SSL_ERROR_WANT_WRITE = 3
SSL_ERROR_WANT_X509_LOOKUP = 4
SSL_ERROR_SYSCALL = 5
SSL_ERROR_ZERO_RETURN = 6
SSL_ERROR_WANT_CONNECT = 7
SSL_ERROR_EOF = 8
SSL_ERROR_INVALID_ERROR_CODE = 10

ALERT_DESCRIPTION_CLOSE_NOTIFY = 0
ALERT_DESCRIPTION_UNEXPECTED_MESSAGE = 10
ALERT_DESCRIPTION_BAD_RECORD_MAC = 20
ALERT_DESCRIPTION_RECORD_OVERFLOW = 22
ALERT_DESCRIPTION_DECOMPRESSION_FAILURE = 30
ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40
ALERT_DESCRIPTION_BAD_CERTIFICATE = 42
ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE = 43
ALERT_DESCRIPTION_CERTIFICATE_REVOKED = 44
ALERT_DESCRIPTION_CERTIFICATE_EXPIRED = 45
ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN = 46
ALERT_DESCRIPTION_ILLEGAL_PARAMETER = 47
ALERT_DESCRIPTION_UNKNOWN_CA = 48
ALERT_DESCRIPTION_ACCESS_DENIED = 49
ALERT_DESCRIPTION_DECODE_ERROR = 50
ALERT_DESCRIPTION_DECRYPT_ERROR = 51
ALERT_DESCRIPTION_PROTOCOL_VERSION = 70
ALERT_DESCRIPTION_INSUFFICIENT_SECURITY = 71
ALERT_DESCRIPTION_INTERNAL_ERROR = 80
ALERT_DESCRIPTION_USER_CANCELLED = 90
ALERT_DESCRIPTION_NO_RENEGOTIATION = 100
ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION = 110
ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE = 111
ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112
ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE = 113
ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE = 114
ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY = 115


# --- errors -----------------------------------------------------------------------------------

class SSLError(OSError):
    """An error from the TLS layer (here: reported by the host)."""
    library = None
    reason = None

    def __str__(self):
        if isinstance(self.strerror, str):
            return self.strerror
        return super().__str__()


class SSLZeroReturnError(SSLError):
    """The TLS connection has been closed cleanly."""


class SSLWantReadError(SSLError):
    """Non-blocking TLS: more data must be received before the operation can complete."""


class SSLWantWriteError(SSLError):
    """Non-blocking TLS: data must be sent before the operation can complete."""


class SSLSyscallError(SSLError):
    """A system error in the TLS layer."""


class SSLEOFError(SSLError):
    """The connection ended in violation of the TLS protocol."""


class SSLCertVerificationError(SSLError, ValueError):
    """The host could not verify the peer's certificate."""
    verify_code = None
    verify_message = None


for _error in (SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError, SSLSyscallError,
               SSLEOFError, SSLCertVerificationError):
    _error.__module__ = "ssl"
del _error

_REASONS = {SSLCertVerificationError: (SSL_ERROR_SSL, "CERTIFICATE_VERIFY_FAILED"),
            SSLEOFError: (SSL_ERROR_EOF, "UNEXPECTED_EOF_WHILE_READING"),
            SSLZeroReturnError: (SSL_ERROR_ZERO_RETURN, None)}


def make_error(cls, error):
    """The exception for the host's failure JSON (eryx._net.raise_host_error) of an SSL kind."""
    message = str(error.get("message") or "TLS failed")
    number, reason = _REASONS.get(cls, (SSL_ERROR_SSL, None))
    if cls is SSLCertVerificationError:
        verify_message = error.get("verify_message") or "certificate verify failed"
        text = f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {verify_message}"
        if message and message != verify_message:
            text += f" ({message})"
        exception = cls(number, text)
        exception.verify_code = error.get("verify_code")
        exception.verify_message = verify_message
    else:
        exception = cls(number, message)
    exception.library = "SSL"
    exception.reason = reason
    return exception


def _want_read():
    return SSLWantReadError(SSL_ERROR_WANT_READ, "The operation did not complete (read)")


def _want_write():
    return SSLWantWriteError(SSL_ERROR_WANT_WRITE, "The operation did not complete (write)")


# --- module functions -------------------------------------------------------------------------

def RAND_status():
    return True


def RAND_add(string, entropy):
    if not isinstance(string, (str, bytes, bytearray, memoryview)):
        raise TypeError("RAND_add() argument 1 must be str or bytes-like")


def RAND_bytes(n):
    if n < 0:
        raise ValueError("num must be positive")
    return os.urandom(n)


def get_default_verify_paths():
    return ("SSL_CERT_FILE", "/etc/ssl/cert.pem", "SSL_CERT_DIR", "/etc/ssl/certs")


_OBJECTS = [
    (129, "serverAuth", "TLS Web Server Authentication", "1.3.6.1.5.5.7.3.1"),
    (130, "clientAuth", "TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2"),
    (131, "codeSigning", "Code Signing", "1.3.6.1.5.5.7.3.3"),
    (132, "emailProtection", "E-mail Protection", "1.3.6.1.5.5.7.3.4"),
    (133, "timeStamping", "Time Stamping", "1.3.6.1.5.5.7.3.8"),
    (180, "OCSPSigning", "OCSP Signing", "1.3.6.1.5.5.7.3.9"),
]


def txt2obj(txt, name=False):
    for entry in _OBJECTS:
        if txt == entry[3] or (name and txt in (entry[1], entry[2])):
            return entry
    raise ValueError(f"unknown object '{txt}'")


def nid2obj(nid):
    for entry in _OBJECTS:
        if entry[0] == nid:
            return entry
    raise ValueError(f"unknown NID {nid}")


# --- memory buffers and sessions --------------------------------------------------------------

class MemoryBIO:
    """A buffer of bytes between the network and a TLS object, as CPython's ssl.MemoryBIO."""

    def __init__(self):
        self._buffer = bytearray()
        self._eof_written = False

    @property
    def pending(self):
        return len(self._buffer)

    @property
    def eof(self):
        return self._eof_written and not self._buffer

    def read(self, size=-1, /):
        if size < 0 or size > len(self._buffer):
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def write(self, b, /):
        if self._eof_written:
            raise SSLError("cannot write() after write_eof()")
        with memoryview(b) as view:
            if not view.c_contiguous:
                raise BufferError("memoryview: underlying buffer is not C-contiguous")
            self._buffer += view.cast("B")
            return view.nbytes

    def write_eof(self):
        self._eof_written = True


MemoryBIO.__module__ = "ssl"


class SSLSession:
    """Session resumption is the host's business: the guest sees no session objects."""

    def __init__(self, *args, **kwargs):
        raise TypeError("cannot create 'SSLSession' instances")


class _Certificate:
    """What get_verified_chain() returns: the peer certificate (the host sends only that one)."""

    def __init__(self, der):
        self._der = der

    def public_bytes(self, format=ENCODING_PEM):
        if format == ENCODING_DER:
            return self._der
        text = base64.encodebytes(self._der).decode("ascii")
        return f"-----BEGIN CERTIFICATE-----\n{text}-----END CERTIFICATE-----\n"


# --- contexts ---------------------------------------------------------------------------------

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


def _pem_certificates(text, source):
    found = _PEM.findall(text)
    if not found:
        raise SSLError(SSL_ERROR_SSL, f"[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl"
                                      f" found ({source})")
    return found


def _der_to_pem(data):
    certificates = []
    view = bytes(data)
    while view:
        # One DER SEQUENCE: tag 0x30, then a short or long form length.
        if len(view) < 2 or view[0] != 0x30:
            raise SSLError(SSL_ERROR_SSL, "[X509: NOT_ENOUGH_DATA] not enough data")
        length, start = view[1], 2
        if length & 0x80:
            count = length & 0x7F
            length, start = int.from_bytes(view[2:2 + count], "big"), 2 + count
        end = start + length
        if end > len(view):
            raise SSLError(SSL_ERROR_SSL, "[X509: NOT_ENOUGH_DATA] not enough data")
        certificates.append(_Certificate(view[:end]).public_bytes().strip())
        view = view[end:]
    return certificates


class _SSLContext:
    """CPython's _ssl._SSLContext: settings kept here, sent to the host with each connection."""

    def __new__(cls, protocol):
        if protocol not in _PROTOCOLS:
            raise ValueError(f"invalid or unsupported protocol version {protocol}")
        self = object.__new__(cls)
        self._protocol = protocol
        self._options = _DEFAULT_OPTIONS
        client = protocol == PROTOCOL_TLS_CLIENT
        self._check_hostname = client
        self._verify_mode = CERT_REQUIRED if client else CERT_NONE
        self._verify_flags = VERIFY_X509_TRUSTED_FIRST
        self._minimum_version = PROTO_MINIMUM_SUPPORTED
        self._maximum_version = PROTO_MAXIMUM_SUPPORTED
        self._host_flags = HOSTFLAG_NO_PARTIAL_WILDCARDS
        self._alpn = None
        self._anchors = []
        self._post_handshake_auth = False
        self._keylog_filename = None
        self._msg_callback_value = None
        self.sni_callback = None
        self.num_tickets = 2
        return self

    protocol = property(lambda self: self._protocol)
    security_level = property(lambda self: 2)

    @property
    def options(self):
        return self._options

    @options.setter
    def options(self, value):
        self._options = int(value)

    @property
    def verify_mode(self):
        return self._verify_mode

    @verify_mode.setter
    def verify_mode(self, value):
        value = int(value)
        if value not in (CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED):
            raise ValueError("invalid value for verify_mode")
        if value == CERT_NONE and self._check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        self._verify_mode = value

    @property
    def verify_flags(self):
        return self._verify_flags

    @verify_flags.setter
    def verify_flags(self, value):
        self._verify_flags = int(value)

    @property
    def check_hostname(self):
        return self._check_hostname

    @check_hostname.setter
    def check_hostname(self, value):
        value = bool(value)
        if value and self._verify_mode == CERT_NONE:
            self._verify_mode = CERT_REQUIRED
        self._check_hostname = value

    @property
    def minimum_version(self):
        return self._minimum_version

    @minimum_version.setter
    def minimum_version(self, value):
        self._minimum_version = int(value)

    @property
    def maximum_version(self):
        return self._maximum_version

    @maximum_version.setter
    def maximum_version(self, value):
        self._maximum_version = int(value)

    @property
    def post_handshake_auth(self):
        return self._post_handshake_auth

    @post_handshake_auth.setter
    def post_handshake_auth(self, value):
        self._post_handshake_auth = bool(value)

    @property
    def keylog_filename(self):
        return self._keylog_filename

    @keylog_filename.setter
    def keylog_filename(self, value):
        # Accepted, never written: the keys live in the host.
        self._keylog_filename = value

    @property
    def _msg_callback(self):
        return self._msg_callback_value

    @_msg_callback.setter
    def _msg_callback(self, value):
        self._msg_callback_value = value

    def set_ciphers(self, ciphers):
        # The host's JDK chooses among its own suites; the guest's cipher string is accepted.
        if not isinstance(ciphers, str):
            raise TypeError("set_ciphers() argument must be str")

    def get_ciphers(self):
        return [{"id": 0x03001302, "name": "TLS_AES_256_GCM_SHA384", "protocol": "TLSv1.3",
                 "description": "TLS_AES_256_GCM_SHA384 TLSv1.3 Kx=any Au=any Enc=AESGCM(256)"
                                " Mac=AEAD", "strength_bits": 256, "alg_bits": 256,
                 "aead": True, "symmetric": "aes-256-gcm", "digest": None, "kea": "kx-any",
                 "auth": "auth-any"},
                {"id": 0x03001301, "name": "TLS_AES_128_GCM_SHA256", "protocol": "TLSv1.3",
                 "description": "TLS_AES_128_GCM_SHA256 TLSv1.3 Kx=any Au=any Enc=AESGCM(128)"
                                " Mac=AEAD", "strength_bits": 128, "alg_bits": 128,
                 "aead": True, "symmetric": "aes-128-gcm", "digest": None, "kea": "kx-any",
                 "auth": "auth-any"}]

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        raise SSLError(SSL_ERROR_SSL, "client certificates are not available in the sandbox: the"
                                      " host does TLS with its own key material only")

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        found = []
        if cafile is not None:
            with open(cafile, "rb") as file:
                data = file.read()
            text = data.decode("latin-1")
            if "-----BEGIN" in text:
                found += _pem_certificates(text, "cafile")
            else:
                found += _der_to_pem(data)
        if capath is not None:
            for name in sorted(os.listdir(capath)):
                path = os.path.join(capath, name)
                if os.path.isfile(path):
                    with open(path, "rb") as file:
                        found += _PEM.findall(file.read().decode("latin-1"))
        if cadata is not None:
            if isinstance(cadata, str):
                found += _pem_certificates(cadata, "cadata")
            elif isinstance(cadata, (bytes, bytearray, memoryview)):
                found += _der_to_pem(cadata)
            else:
                raise TypeError("cadata should be an ASCII string or a bytes-like object")
        for certificate in found:
            if certificate not in self._anchors:
                self._anchors.append(certificate)

    def set_default_verify_paths(self):
        pass  # the host's anchors are always in use

    def load_dh_params(self, path):
        pass

    def set_ecdh_curve(self, name):
        pass

    def cert_store_stats(self):
        return {"x509": len(self._anchors), "crl": 0, "x509_ca": len(self._anchors)}

    def get_ca_certs(self, binary_form=False):
        if not binary_form:
            return []  # the guest does not parse certificates
        return [base64.b64decode("".join(pem.splitlines()[1:-1])) for pem in self._anchors]

    def session_stats(self):
        return {key: 0 for key in ("number", "connect", "connect_good", "connect_renegotiate",
                                   "accept", "accept_good", "accept_renegotiate", "hits", "misses",
                                   "timeouts", "cache_full")}

    def _set_alpn_protocols(self, protos):
        protocols, data, index = [], bytes(protos), 0
        while index < len(data):
            length = data[index]
            protocols.append(data[index + 1:index + 1 + length].decode("ascii"))
            index += 1 + length
        self._alpn = protocols

    def _set_npn_protocols(self, protos):
        pass

    def set_psk_client_callback(self, callback, identity_hint=None):
        raise NotImplementedError("TLS-PSK is not available in the sandbox")

    def set_psk_server_callback(self, callback, identity_hint=None):
        raise NotImplementedError("TLS-PSK is not available in the sandbox")

    def _host_settings(self, server_hostname):
        return {"server_hostname": server_hostname, "alpn": self._alpn,
                "cadata": "\n".join(self._anchors) + "\n" if self._anchors else None}

    def _wrap_socket(self, sock, server_side, server_hostname=None, *, owner=None, session=None):
        if server_side:
            raise ValueError("server-side TLS is not available in the sandbox")
        return _SocketTLS(self, sock, server_hostname, owner)

    def _wrap_bio(self, incoming, outgoing, server_side, server_hostname=None, *, owner=None,
                  session=None):
        if server_side:
            raise ValueError("server-side TLS is not available in the sandbox")
        return _BioTLS(self, incoming, outgoing, server_hostname, owner)


def _host(op, payload):
    from eryx import _net
    return _net.invoke(op, payload)


class _Connection:
    """What _ssl._SSLSocket offers ssl.SSLSocket and ssl.SSLObject, once the host has the facts."""

    server_side = False
    session = None
    session_reused = False

    def __init__(self, context, server_hostname, owner):
        self.context = context
        self.server_hostname = server_hostname
        self._owner = weakref.ref(owner) if owner is not None else None
        self._facts = None

    @property
    def owner(self):
        return self._owner() if self._owner is not None else None

    def _require_handshake(self):
        if self._facts is None:
            raise ValueError("handshake not done yet")

    def getpeercert(self, binary_form=False):
        self._require_handshake()
        if binary_form:
            der = self._facts.get("peercert_der")
            return der.encode("latin-1") if der is not None else None
        return _tuples(self._facts.get("peercert") or {})

    def get_verified_chain(self):
        der = self.getpeercert(True) if self._facts is not None else None
        return [_Certificate(der)] if der else []

    get_unverified_chain = get_verified_chain

    def cipher(self):
        if self._facts is None or not self._facts.get("cipher"):
            return None
        name, version, bits = self._facts["cipher"]
        return name, version, bits

    def shared_ciphers(self):
        cipher = self.cipher()
        return [cipher] if cipher else None

    def version(self):
        return self._facts.get("version") if self._facts is not None else None

    def selected_alpn_protocol(self):
        return self._facts.get("alpn") if self._facts is not None else None

    def selected_npn_protocol(self):
        return None

    def compression(self):
        return None

    def pending(self):
        return 0

    def get_channel_binding(self, cb_type="tls-unique"):
        if cb_type != "tls-unique":
            raise ValueError(f"'{cb_type}' channel binding type not implemented")
        return None

    def verify_client_post_handshake(self):
        raise SSLError(SSL_ERROR_SSL, "post-handshake authentication is not available")


def _tuples(value):
    # The host's JSON has lists where CPython's getpeercert() dict has tuples.
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


class _SocketTLS(_Connection):
    """TLS on a connected socket descriptor: the handshake in the host, then plaintext recv/send."""

    def __init__(self, context, sock, server_hostname, owner):
        super().__init__(context, server_hostname, owner)
        self._sock = sock

    def do_handshake(self):
        if self._facts is not None:
            return
        sock = self._sock
        timeout = sock.gettimeout()
        payload = self.context._host_settings(self.server_hostname)
        payload["fd"] = sock.fileno()
        payload["timeout"] = timeout if timeout else None
        self._facts = _host(_bridge.NET_TLS_WRAP, payload)

    def read(self, n=1024, buffer=None):
        self.do_handshake()
        if n < 0:
            raise ValueError("size should not be negative")
        try:
            if buffer is not None:
                return _socket_recv_into(self._sock, buffer, n)
            return _socket_recv(self._sock, n)
        except BlockingIOError:
            raise _want_read() from None

    def write(self, data):
        self.do_handshake()
        try:
            return _socket_send(self._sock, data)
        except BlockingIOError:
            raise _want_write() from None

    def shutdown(self):
        # The host sends close_notify when the descriptor closes; unwrap() leaves the socket
        # carrying TLS in the host.
        return self._sock


def _socket_recv(sock, n):
    import _socket
    return _socket.socket.recv(sock, n)


def _socket_recv_into(sock, buffer, n):
    import _socket
    return _socket.socket.recv_into(sock, buffer, n)


def _socket_send(sock, data):
    import _socket
    return _socket.socket.send(sock, data)


class _BioTLS(_Connection):
    """TLS over two MemoryBIOs, driven step by step by a TLS engine in the host."""

    def __init__(self, context, incoming, outgoing, server_hostname, owner):
        super().__init__(context, server_hostname, owner)
        self._incoming = incoming
        self._outgoing = outgoing
        self._id = _host(_bridge.NET_TLS_OBJECT, context._host_settings(server_hostname))["id"]
        self._closed = False
        weakref.finalize(self, _free_engine, self._id)

    def _step(self, op, **extra):
        if self._closed:
            raise ValueError("the TLS object has been shut down")
        incoming = self._incoming.read()
        payload = {"id": self._id, "op": op, "incoming": incoming.decode("latin-1"),
                   "eof": self._incoming.eof}
        payload.update(extra)
        answer = _host(_bridge.NET_TLS_STEP, payload)
        outgoing = answer.get("outgoing")
        if outgoing:
            self._outgoing.write(outgoing.encode("latin-1"))
        if self._facts is None and answer.get("version") is not None:
            self._facts = answer
        return answer

    def do_handshake(self):
        if self._facts is not None:
            return
        answer = self._step("handshake")
        if answer.get("done") or self._facts is not None:
            if self._facts is None:
                self._facts = answer
            return
        self._check_status(answer)
        raise _want_read()

    def read(self, n=1024, buffer=None):
        if n < 0:
            raise ValueError("size should not be negative")
        if buffer is not None and n == 0:
            n = len(buffer)
        answer = self._step("read", n=n)
        self._check_status(answer)
        data = (answer.get("data") or "").encode("latin-1")
        if buffer is None:
            return data
        buffer[:len(data)] = data
        return len(data)

    def write(self, data):
        with memoryview(data) as view:
            text = view.cast("B").tobytes().decode("latin-1")
        answer = self._step("write", data=text)
        self._check_status(answer)
        return answer.get("written", len(text))

    def shutdown(self):
        answer = self._step("shutdown")
        self._check_status(answer)
        if not answer.get("done", True):
            raise _want_read()
        return None

    def _check_status(self, answer):
        status = answer.get("status", "ok")
        if status == "want_read":
            raise _want_read()
        if status == "want_write":
            raise _want_write()


def _free_engine(engine_id):
    try:
        _host(_bridge.NET_CLOSE, {"id": engine_id})
    except BaseException:
        pass  # the sandbox's engines go when it resets or closes anyway
