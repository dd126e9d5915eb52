"""GET /healthz: a process's liveness as JSON, 200 when ``ok``, else 503.

``modelwire scheduler`` and ``modelwire discord`` serve it on MODELWIRE_HEALTH_PORT, and so does
``modelwire slack`` in Socket Mode (in HTTP mode it is on the events port as well). A chat bot is live
while its platform connection is up and its inline digest scheduler, when it runs one, is healthy.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("modelwire.health")


async def serve_health(port: int, status: Callable[[], dict | Awaitable[dict]], stack: contextlib.AsyncExitStack,
                       host: str = "0.0.0.0") -> int:
    """Serve ``status()`` (a dict, or a coroutine of one) as JSON at /healthz until ``stack`` closes: 200 when
    it says ``ok``, else 503. Returns the port (useful with port 0)."""

    async def healthz(_request: web.Request) -> web.Response:
        return await health_response(status)

    app = web.Application()
    app.add_routes([web.get("/healthz", healthz)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    log.info("health check on port %s at /healthz", bound)
    return bound


async def health_response(status: Callable[[], dict | Awaitable[dict]]) -> web.Response:
    """``status()`` as the /healthz response: 200 when it says ``ok``, else 503."""
    body = status()
    if inspect.isawaitable(body):
        body = await body
    return web.json_response(body, status=200 if body.get("ok") else 503)


def connection(up: bool, problem: str) -> dict:
    """A platform connection's liveness: ``{"ok": true}``, or not ok with the ``problem``."""
    return {"ok": True} if up else {"ok": False, "problem": problem}


def with_digests(body: dict, jobs: list) -> dict:
    """``body`` with the health of the inline digest scheduler among ``jobs`` (when one runs) under
    ``digests``: ok only when both are."""
    for job in jobs:
        if hasattr(job, "health"):
            digests = job.health()
            body = {**body, "ok": bool(body.get("ok") and digests.get("ok")), "digests": digests}
    return body
