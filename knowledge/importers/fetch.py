"""A polite HTTP GET for public data files: conditional, retried with backoff, checked for truncation.

Retries (connection errors, timeouts, 429 and 5xx, with exponential backoff and the server's
Retry-After) are urllib3's ``Retry``. A Retry-After longer than ``MAX_RETRY_AFTER`` ends the fetch
instead of holding the caller for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

from urllib3 import PoolManager, Timeout
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

DEFAULT_URL = "https://models.dev/models.json"
USER_AGENT = "modelwire/0.1 (knowledge sync)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0
"""Seconds: a server asking to wait longer than this gets no retry from this run."""
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


class _Retry(Retry):
    """urllib3's Retry, except that it will not sleep longer than MAX_RETRY_AFTER for a Retry-After."""

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        wait = self.get_retry_after(response)
        if wait is not None and wait > MAX_RETRY_AFTER:
            raise _WaitTooLong(wait)
        return super().sleep_for_retry(response)


def fetch(url: str = DEFAULT_URL, *, etag: str | None = None, last_modified: str | None = None,
          timeout: float = 10.0, retries: int = 3, backoff: float = 0.5) -> FetchResult:
    """GET ``url``; with ``etag``/``last_modified`` from an earlier result, an unchanged file is "not_modified".

    ``timeout`` (seconds) bounds connecting and each wait for data. ``retries`` is how many more tries
    connection errors, timeouts, truncated bodies, 429 and 5xx answers get: the first at once, then
    2, 4, 8... times ``backoff`` seconds apart (urllib3's backoff), or as long as a Retry-After header
    asks, up to MAX_RETRY_AFTER. Raises FetchError once retries are spent, or on any other status.
    """
    retry = _Retry(total=retries, redirect=5, backoff_factor=backoff, status_forcelist=RETRY_STATUSES,
                   allowed_methods={"GET"}, raise_on_status=False, respect_retry_after_header=True)
    with PoolManager(retries=retry, timeout=Timeout(connect=timeout, read=timeout)) as pool:
        try:
            response = pool.request("GET", url, headers=_headers(etag, last_modified))
        except MaxRetryError as exc:
            raise FetchError(f"GET {url} failed after {retries + 1} attempts: {_reason(exc.reason, timeout)}") from None
        except _WaitTooLong as exc:
            raise FetchError(f"GET {url} failed: the server asks to retry after {exc.seconds:g} s, "
                             f"longer than the {MAX_RETRY_AFTER:g} s this fetch waits") from None
        except (HTTPError, ValueError) as exc:
            raise FetchError(f"GET {url} failed: {_reason(exc, timeout)}") from None
    return _result(url, response, etag, last_modified)


def _headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _result(url: str, response: BaseHTTPResponse, etag: str | None, last_modified: str | None) -> FetchResult:
    final_url = _final_url(url, response)
    if response.status == 304:
        return FetchResult("not_modified", None, response.headers.get("ETag", etag),
                           response.headers.get("Last-Modified", last_modified), final_url)
    if response.status != 200:
        tries = _attempts(response)
        after = f" after {tries} attempts" if tries > 1 else ""
        raise FetchError(f"GET {url} failed: HTTP {response.status} {response.reason or ''}".rstrip() + after)
    body = response.data
    _check_length(url, response, body)
    return FetchResult("fresh", body, response.headers.get("ETag"), response.headers.get("Last-Modified"),
                       final_url)


def _check_length(url: str, response: BaseHTTPResponse, body: bytes) -> None:
    """Reject a body shorter or longer than its Content-Length (which counts encoded bytes, so only when unencoded)."""
    declared = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if declared is None or encoded:
        return
    if not declared.isdigit() or int(declared) != len(body):
        raise FetchError(f"GET {url} failed: the body is truncated or corrupt "
                         f"({len(body)} bytes received, Content-Length {declared})")


def _final_url(url: str, response: BaseHTTPResponse) -> str:
    for step in response.retries.history if response.retries else ():
        if step.redirect_location:
            url = urljoin(url, step.redirect_location)
    return url


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
