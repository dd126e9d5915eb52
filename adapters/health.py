"""GET /healthz for processes that serve no other HTTP (``modelwire scheduler``, ``modelwire discord``)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from aiohttp import web

log = logging.getLogger("modelwire.health")


async def serve_health(port: int, status: Callable[[], dict], stack: contextlib.AsyncExitStack,
                       host: str = "0.0.0.0") -> int:
    """Serve ``status()`` as JSON at /healthz until ``stack`` closes: 200 when it says ``ok``, else 503.
    Returns the port (useful with port 0)."""

    async def healthz(_request: web.Request) -> web.Response:
        body = status()
        return web.json_response(body, status=200 if body.get("ok") else 503)

    app = web.Application()
    app.add_routes([web.get("/healthz", healthz)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]
    log.info("health check on port %s at /healthz", bound)
    return bound
