"""The part every fake platform shares: an aiohttp server on 127.0.0.1, on a free port."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Failure:
    """A response a fake sends instead of the real one, once."""

    status: int
    body: dict
    headers: dict = field(default_factory=dict)


class LoopbackServer:
    """Subclasses list their routes in ``routes()``; websockets they accept go in ``self._sockets``."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.port = 0

    def routes(self) -> list[web.AbstractRouteDef]:
        raise NotImplementedError

    async def start(self):
        """Serve on a free loopback port; returns self."""
        app = web.Application()
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Close open websockets, then the server."""
        for ws in self._sockets:
            await ws.close()
        if self._runner:
            await self._runner.cleanup()
