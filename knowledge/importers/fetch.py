"""A polite, bounded HTTP GET for public data files: conditional, retried with backoff, checked for truncation.

Retries (connection errors, timeouts, 429 and 5xx, with exponential backoff and the server's
Retry-After) are urllib3's ``Retry``; a body cut short is tried again the same way. A Retry-After
longer than ``MAX_RETRY_AFTER`` ends the fetch instead of holding the caller for it.

Bounds, so that no server can hold or exhaust the process that fetches (sync runs inside the bot):

- the body is read in pieces and given up once more than ``max_bytes`` arrive on the wire *or* come
  out of decompression (gzip and deflate are decoded here, piece by piece, never more than the cap);
  a Content-Length above the cap is refused before reading;
- one overall deadline covers connecting, waiting, retrying, redirects and reading (each read waits
  at most until the deadline), so a server dripping one byte at a time cannot hold a sync for ever;
- redirects are followed (at most ``MAX_REDIRECTS``) only to the same host over http or https (never
  https to http), and no request goes to a private, loopback, link-local or otherwise non-public
  address unless the configured URL itself names or resolves to one (a mirror on the local network);
- the host's name is resolved once, and every connection of the fetch (retries and redirects too) goes
  to the addresses that answer gave and that were checked, never to a second answer (DNS rebinding);
  the Host header and, for https, SNI and the certificate check keep the name.

``MODELWIRE_SYNC_MAX_BYTES`` and ``MODELWIRE_SYNC_DEADLINE_SECONDS`` set the defaults.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from knowledge import __version__

DEFAULT_URL = "https://models.dev/models.json"
USER_AGENT = f"modelwire/{__version__} (knowledge sync)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER = 120.0
"""Seconds: a server asking to wait longer than this gets no retry from this run."""
MAX_BYTES = 64 * 1024 * 1024
"""Default cap on the body, on the wire and decompressed (about 30 times today's catalogue)."""
DEADLINE = 120.0
"""Default seconds for a whole fetch: connecting, retries, redirects and reading the body."""
MAX_REDIRECTS = 5
MAX_BYTES_SETTING = "MODELWIRE_SYNC_MAX_BYTES"
DEADLINE_SETTING = "MODELWIRE_SYNC_DEADLINE_SECONDS"
_PIECE = 64 * 1024
_INCOMPLETE = re.compile(r"\d+ bytes read, \d+ more expected")


@dataclass(frozen=True)
class FetchResult:
    """What a fetch found: a fresh body, or that the copy the caller has is still current.

    ``etag`` and ``last_modified`` are the validators to send next time; ``url`` is where the
    answer came from (after redirects).
    """

    status: Literal["fresh", "not_modified"]
    body: bytes | None
    etag: str | None
    last_modified: str | None
    url: str


class FetchError(Exception):
    """A fetch that failed for good; ``str()`` is one line with the URL and the status or reason."""


class _WaitTooLong(Exception):
    def __init__(self, seconds: float):
        self.seconds = seconds


class _PastDeadline(Exception):
    pass


class _BodyFailed(Exception):
    """A body cut short or timed out: worth another attempt."""


_clock = threading.local()
"""This thread's fetch deadline (time.monotonic()), read by _Retry, which urllib3 copies on every step."""


def _left() -> float:
    end = getattr(_clock, "end", None)
    return float("inf") if end is None else end - time.monotonic()


class _Retry(Retry):
    """urllib3's Retry, except that it will not sleep longer than MAX_RETRY_AFTER for a Retry-After,
    nor past the fetch's deadline."""

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        wait = self.get_retry_after(response)
        if wait is not None and wait > MAX_RETRY_AFTER:
            raise _WaitTooLong(wait)
        if wait is not None and wait >= _left():
            raise _PastDeadline()
        return super().sleep_for_retry(response)

    def _sleep_backoff(self) -> None:
        if self.get_backoff_time() >= _left():
            raise _PastDeadline()
        super()._sleep_backoff()

    def increment(self, method=None, url=None, response=None, *args, **kwargs):
        if response is not None:  # not drained by urllib3 (an endless error body would hold the fetch): closed
            response.close()
        if _left() <= 0:
            raise _PastDeadline()
        return super().increment(method, url, response, *args, **kwargs)


# -- settings ----------------------------------------------------------------------------------


def _setting(name: str, default: float, kind: type) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if not value > 0 or value == float("inf"):
        unit = "whole number of bytes" if kind is int else "number of seconds"
        raise FetchError(f"{name} must be a positive {unit}, not {raw[:40]!r}")
    return value


def max_bytes_setting() -> int:
    """MODELWIRE_SYNC_MAX_BYTES, or MAX_BYTES when not set."""
    return int(_setting(MAX_BYTES_SETTING, MAX_BYTES, int))


def deadline_setting() -> float:
    """MODELWIRE_SYNC_DEADLINE_SECONDS, or DEADLINE when not set."""
    return float(_setting(DEADLINE_SETTING, DEADLINE, float))


# -- where a fetch may go ----------------------------------------------------------------------


def is_public_address(ip: str) -> bool:
    """Whether an IP address is a public (global unicast) one: not private, loopback, link-local,
    unspecified, multicast, reserved or shared (IPv4-mapped IPv6 addresses judged as IPv4)."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def redirect_refusal(origin: str, target: str) -> str | None:
    """Why a redirect from ``origin`` (the configured URL) to ``target`` (absolute) is not followed, or None.

    Only http and https, never from https down to http, and only to the origin's host.
    """
    was, to = urlsplit(origin), urlsplit(target)
    if to.scheme not in ("http", "https"):
        return f"a redirect to {to.scheme or 'a relative'} URL {target} is not followed (http and https only)"
    if was.scheme == "https" and to.scheme == "http":
        return f"a redirect from https down to http ({target}) is not followed"
    if (to.hostname or "").rstrip(".").lower() != (was.hostname or "").rstrip(".").lower():
        return f"a redirect to another host ({target}) is not followed"
    return None


def address_refusal(ip: str, allow_internal: bool) -> str | None:
    """Why a connection to ``ip`` is refused, or None: a non-public address, unless allowed."""
    if allow_internal or is_public_address(ip):
        return None
    return f"{ip} is a private, loopback, link-local or reserved address"


Resolver = Callable[[str], Iterable[str]]


def _resolve(host: str) -> list[str]:
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)})
    except (OSError, UnicodeError):
        return []  # urllib3 reports the failure to connect


def internal_origin(url: str, resolve: Resolver = _resolve) -> bool:
    """Whether the configured URL itself names or resolves to a non-public address (then its
    redirects may stay on it)."""
    host = urlsplit(url).hostname or ""
    return any(not is_public_address(ip) for ip in resolve(host))


def host_refusal(url: str, allow_internal: bool, resolve: Resolver = _resolve) -> str | None:
    """Why ``url``'s host may not be contacted, or None: any of its addresses non-public and not allowed."""
    host = urlsplit(url).hostname or ""
    return addresses_refusal(host, list(resolve(host)), allow_internal)


def addresses_refusal(host: str, addresses: Iterable[str], allow_internal: bool) -> str | None:
    """Why ``host`` may not be contacted at ``addresses`` (what it resolved to), or None."""
    for ip in addresses:
        reason = address_refusal(ip, allow_internal)
        if reason:
            return reason if ip == host else f"{host} resolves to {reason}"
    return None


# -- connecting to the checked addresses -------------------------------------------------------


class PinnedHTTPConnection(HTTPConnection):
    """urllib3's HTTPConnection, connecting to ``pinned`` (addresses resolved and checked before, tried
    in order) instead of resolving the host again; the Host header stays the host's name."""

    def __init__(self, *args, pinned: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.pinned = tuple(pinned)

    def _new_conn(self) -> socket.socket:
        return _connect_pinned(self)


class PinnedHTTPSConnection(HTTPSConnection):
    """urllib3's HTTPSConnection, connecting to ``pinned`` like PinnedHTTPConnection; TLS still sends the
    host's name as SNI and checks the certificate against it (urllib3 wraps the socket with it)."""

    def __init__(self, *args, pinned: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.pinned = tuple(pinned)

    def _new_conn(self) -> socket.socket:
        return _connect_pinned(self)


def _connect_pinned(conn: PinnedHTTPConnection | PinnedHTTPSConnection) -> socket.socket:
    """A socket to the first of ``conn.pinned`` that accepts, with urllib3's errors when none does."""
    timeout = Timeout.resolve_default_timeout(conn.timeout)
    error: Exception = NewConnectionError(conn, f"Failed to establish a new connection: no address for {conn.host}")
    for ip in conn.pinned:
        try:
            sock = socket.create_connection((ip, conn.port), timeout, source_address=conn.source_address)
        except TimeoutError:
            error = ConnectTimeoutError(conn, f"Connection to {conn.host} ({ip}) timed out. "
                                              f"(connect timeout={timeout})")
            continue
        except OSError as exc:
            error = NewConnectionError(conn, f"Failed to establish a new connection: {exc}")
            continue
        for option in conn.socket_options or ():
            sock.setsockopt(*option)
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    raise error


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


class _Pools:
    """One connection pool per scheme and port of the fetched host, all connecting to ``addresses``."""

    def __init__(self, addresses: tuple[str, ...], timeout: float):
        self.addresses, self.timeout = addresses, timeout
        self.pools: dict[tuple[str, int], HTTPConnectionPool] = {}

    def __enter__(self) -> _Pools:
        return self

    def __exit__(self, *exc) -> None:
        for pool in self.pools.values():
            pool.close()

    def for_url(self, url: str) -> HTTPConnectionPool:
        """The pool for ``url`` (of the fetched host)."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, port)
        if key not in self.pools:
            kind = _HTTPSPool if parts.scheme == "https" else _HTTPPool
            self.pools[key] = kind(parts.hostname or "", port, timeout=Timeout(connect=self.timeout, read=self.timeout),
                                   maxsize=1, pinned=self.addresses)
        return self.pools[key]


# -- fetching ----------------------------------------------------------------------------------


def fetch(url: str = DEFAULT_URL, *, etag: str | None = None, last_modified: str | None = None,
          timeout: float = 10.0, retries: int = 3, backoff: float = 0.5, max_bytes: int | None = None,
          deadline: float | None = None, resolve: Resolver = _resolve) -> FetchResult:
    """GET ``url``; with ``etag``/``last_modified`` from an earlier result, an unchanged file is "not_modified".

    ``timeout`` (seconds) bounds connecting and each wait for data; ``deadline`` (default
    MODELWIRE_SYNC_DEADLINE_SECONDS or 120 s) the whole fetch; ``max_bytes`` (default
    MODELWIRE_SYNC_MAX_BYTES or 64 MiB) the body, both as sent and decompressed. ``retries`` is how
    many more tries connection errors, timeouts, truncated bodies, 429 and 5xx answers get: the first
    at once, then 2, 4, 8... times ``backoff`` seconds apart (urllib3's backoff), or as long as a
    Retry-After header asks, up to MAX_RETRY_AFTER. ``resolve`` gives a host's addresses; it is asked
    once, and every connection goes to the addresses it gave. Raises FetchError once retries are spent,
    past the deadline, over the cap, on a refused redirect or address, or on any other status.
    """
    cap = max_bytes if max_bytes is not None else max_bytes_setting()
    limit = deadline if deadline is not None else deadline_setting()
    _clock.end = time.monotonic() + limit
    try:
        return _fetch(url, etag, last_modified, timeout, retries, backoff, cap, resolve)
    except _PastDeadline:
        raise FetchError(f"GET {url} failed: not done within {limit:g} s (the fetch's deadline, "
                         f"{DEADLINE_SETTING})") from None
    finally:
        _clock.end = None


def _fetch(url: str, etag: str | None, last_modified: str | None, timeout: float, retries: int, backoff: float,
           cap: int, resolve: Resolver) -> FetchResult:
    addresses = _checked_addresses(url, resolve)
    current, failed, hops = url, 0, 0
    with _Pools(addresses, timeout) as pools:
        while True:
            response = _request(pools.for_url(current), url, current, etag, last_modified, timeout, retries - failed,
                                backoff, failed)
            failed += _attempts(response) - 1
            if response.status != 200:
                _discard(response)
            if response.status in REDIRECT_STATUSES and response.headers.get("Location"):
                target = urljoin(current, response.headers["Location"])
                refusal = redirect_refusal(url, target)
                hops += 1
                if refusal:
                    raise FetchError(f"GET {url} failed: {refusal}")
                if hops > MAX_REDIRECTS:
                    raise FetchError(f"GET {url} failed: more than {MAX_REDIRECTS} redirects")
                current = target
                continue
            if response.status == 304:
                return FetchResult("not_modified", None, response.headers.get("ETag", etag),
                                   response.headers.get("Last-Modified", last_modified), current)
            if response.status != 200:
                tries = failed + 1
                after = f" after {tries} attempts" if tries > 1 else ""
                raise FetchError(f"GET {url} failed: HTTP {response.status} {response.reason or ''}".rstrip() + after)
            try:
                body = _read_body(url, response, cap, timeout)
            except _BodyFailed as exc:
                _discard(response)
                failed += 1
                if failed > retries:
                    raise FetchError(f"GET {url} failed after {failed} attempts: {exc}") from None
                pause = 0.0 if failed == 1 else backoff * 2 ** (failed - 1)
                if pause >= _left():
                    raise _PastDeadline() from None
                time.sleep(pause)
                continue
            except BaseException:
                _discard(response)
                raise
            response.release_conn()
            return FetchResult("fresh", body, response.headers.get("ETag"), response.headers.get("Last-Modified"),
                               current)


def _checked_addresses(url: str, resolve: Resolver) -> tuple[str, ...]:
    """The addresses of ``url``'s host, resolved this once: every connection of the fetch goes to them.

    Non-public ones are allowed here because the configured URL itself resolves to them (a mirror on the
    local network); redirects never leave this host, so no other address is ever contacted.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"GET {url} failed: only http and https URLs are fetched")
    host = parts.hostname or ""
    addresses = tuple(dict.fromkeys(resolve(host)))
    if not addresses:
        raise FetchError(f"GET {url} failed: cannot resolve {host}")
    return addresses


def _request(pool: HTTPConnectionPool, url: str, current: str, etag: str | None, last_modified: str | None,
             timeout: float, retries: int, backoff: float, failed: int) -> BaseHTTPResponse:
    retry = _Retry(total=max(retries, 0), redirect=False, backoff_factor=backoff, status_forcelist=RETRY_STATUSES,
                   allowed_methods={"GET"}, raise_on_status=False, respect_retry_after_header=True)
    left = _left()
    if left <= 0:
        raise _PastDeadline()
    wait = min(timeout, left)
    try:
        return pool.urlopen("GET", _target(current), headers=_headers(etag, last_modified), retries=retry,
                            redirect=False, assert_same_host=False, preload_content=False, decode_content=False,
                            timeout=Timeout(connect=wait, read=wait))
    except MaxRetryError as exc:
        if _left() <= 0:
            raise _PastDeadline() from None
        raise FetchError(f"GET {url} failed after {failed + max(retries, 0) + 1} attempts: "
                         f"{_reason(exc.reason, timeout)}") from None
    except _WaitTooLong as exc:
        raise FetchError(f"GET {url} failed: the server asks to retry after {exc.seconds:g} s, "
                         f"longer than the {MAX_RETRY_AFTER:g} s this fetch waits") from None
    except (HTTPError, ValueError) as exc:
        raise FetchError(f"GET {url} failed: {_reason(exc, timeout)}") from None


def _target(url: str) -> str:
    """The request target of ``url``: its path and query."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _discard(response: BaseHTTPResponse) -> None:
    """Close a response whose body is not wanted (or half read) instead of draining it."""
    response.close()
    response.release_conn()


def _headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _too_big(url: str, cap: int, what: str) -> FetchError:
    return FetchError(f"GET {url} failed: {what} more than {cap:,} bytes (the cap, {MAX_BYTES_SETTING})")


def _decoder(url: str, encoding: str):
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise FetchError(f"GET {url} failed: the body's Content-Encoding {encoding[:40]!r} is not supported")


def _read_body(url: str, response: BaseHTTPResponse, cap: int, timeout: float) -> bytes:
    """The body, read piece by piece within the cap (sent and decoded) and the deadline."""
    declared = (response.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > cap:
        raise _too_big(url, cap, f"the body is {int(declared):,} bytes,")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    decoder = _decoder(url, encoding)
    sock = getattr(response.connection, "sock", None) if response.connection else None
    body, wire = bytearray(), 0
    while True:
        left = _left()
        if left <= 0:
            raise _PastDeadline()
        if sock is not None:
            sock.settimeout(max(0.001, min(timeout, left)))
        try:
            piece = response.read1(_PIECE, decode_content=False)
        except ReadTimeoutError:
            if _left() <= 0:
                raise _PastDeadline() from None
            raise _BodyFailed(f"timed out (no data within {timeout:g} s)") from None
        except (ProtocolError, HTTPError, OSError) as exc:
            raise _BodyFailed(_reason(exc, timeout)) from None
        if not piece:
            break
        wire += len(piece)
        if wire > cap:
            raise _too_big(url, cap, "the body is")
        if decoder is None:
            body += piece
            continue
        _inflate(url, decoder, piece, body, cap)
    if decoder is not None:
        if not decoder.eof:
            raise _BodyFailed(f"the {encoding} body ends early or is corrupt")
        body += decoder.flush()
    elif declared.isdigit() and int(declared) != len(body):  # Content-Length counts encoded bytes
        raise _BodyFailed(f"the body was truncated ({len(body)} bytes read, Content-Length {declared})")
    return bytes(body)


def _inflate(url: str, decoder, data: bytes, body: bytearray, cap: int) -> None:
    """Decompress ``data`` onto ``body`` in bounded steps, stopping as soon as the cap is passed."""
    try:
        while data and not decoder.eof:
            out = decoder.decompress(data, min(_PIECE * 4, cap - len(body) + 1))
            body += out
            if len(body) > cap:
                raise _too_big(url, cap, "the body decompresses to")
            data = decoder.unconsumed_tail
    except zlib.error:
        raise FetchError(f"GET {url} failed: the compressed body is corrupt") from None


def _attempts(response: BaseHTTPResponse) -> int:
    history = response.retries.history if response.retries else ()
    return 1 + sum(1 for h in history if h.redirect_location is None)


def _reason(error: BaseException | None, timeout: float) -> str:
    """A short reason for a failed request, without urllib3's object reprs."""
    text = " ".join(str(error).split())
    if isinstance(error, NewConnectionError):  # a subclass of ConnectTimeoutError, so first
        return f"cannot connect ({text.rsplit(': ', 1)[-1]})"
    if isinstance(error, (ReadTimeoutError, ConnectTimeoutError, TimeoutError)):
        return f"timed out (no answer within {timeout:g} s)"
    incomplete = _INCOMPLETE.search(text)
    if isinstance(error, ProtocolError) and incomplete:
        return f"the body was truncated ({incomplete.group()})"
    return text or type(error).__name__
