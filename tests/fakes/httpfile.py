"""A file served over HTTP on loopback, the way a public data host serves it, and breaks.

It sends ETag and Last-Modified, answers 304 to a matching If-None-Match (or, without one, to an
If-Modified-Since not older than the file), records every request, and lets a test make the next
requests fail (503, 429 with Retry-After), stall (for client timeouts) or come back truncated
(a Content-Length larger than the body, then the connection closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

from tests.fakes.loopback import Failure, LoopbackServer


class HttpFile(LoopbackServer):
    """Start with ``await server.start()``; fetch ``server.url``."""

    def __init__(self, body: bytes, *, path: str = "/models.json", etag: str = '"v1"',
                 last_modified: dt.datetime = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.timezone.utc)) -> None:
        super().__init__()
        self.path = path
        self.requests: list[dict[str, str]] = []
        self._failures: list[Failure] = []
        self._stalls: list[float] = []
        self._truncations = 0
        self._released = asyncio.Event()
        self.publish(body, etag=etag, last_modified=last_modified)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.get(self.path, self._serve)]

    @property
    def url(self) -> str:
        """The file's URL."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def count(self) -> int:
        """How many requests the file got."""
        return len(self.requests)

    def publish(self, body: bytes, *, etag: str, last_modified: dt.datetime) -> None:
        """Replace the file, as a new upload would."""
        self.body, self.etag, self.last_modified = body, etag, last_modified

    def fail_next(self, times: int = 1, status: int = 503, retry_after: str | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (and a Retry-After header when given)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._failures += [Failure(status, {"error": f"fake {status}"}, headers) for _ in range(times)]

    def stall_next(self, times: int = 1, seconds: float = 5.0) -> None:
        """Hold the next ``times`` requests for ``seconds`` before answering (stopping the server releases them)."""
        self._stalls += [seconds] * times

    def truncate_next(self, times: int = 1) -> None:
        """Send only half the body of the next ``times`` fresh answers, under the full Content-Length."""
        self._truncations += times

    async def stop(self) -> None:
        """Release stalled requests, then stop."""
        self._released.set()
        await super().stop()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.headers))
        if self._stalls:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._released.wait(), self._stalls.pop(0))
        if self._failures:
            failure = self._failures.pop(0)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        validators = {"ETag": self.etag, "Last-Modified": format_datetime(self.last_modified, usegmt=True)}
        if self._not_modified(request):
            return web.Response(status=304, headers=validators)
        if self._truncations:
            self._truncations -= 1
            return await self._truncated(request, validators)
        return web.Response(body=self.body, content_type="application/json", headers=validators)

    def _not_modified(self, request: web.Request) -> bool:
        if "If-None-Match" in request.headers:
            tags = [t.strip() for t in request.headers["If-None-Match"].split(",")]
            return self.etag in tags or "*" in tags
        since = request.headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            return self.last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    async def _truncated(self, request: web.Request, headers: dict) -> web.StreamResponse:
        response = web.StreamResponse(headers={**headers, "Content-Type": "application/json"})
        response.content_length = len(self.body)
        await response.prepare(request)
        await response.write(self.body[: len(self.body) // 2])
        request.transport.close()
        return response

