"""Waiting, in tests, for something a background task or another process does: a free port to give
it, a condition to become true, and its /healthz answer."""

from __future__ import annotations

import asyncio
import socket

import aiohttp


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def eventually(check, timeout: float = 10.0, interval: float = 0.1):
    """Call ``check()`` (sync or async) until it returns something truthy; return that, or the last
    value when ``timeout`` runs out (the test's assert then says what was seen)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value or loop.time() >= deadline:
            return value
        await asyncio.sleep(interval)


async def healthz(port: int) -> tuple[int, dict] | None:
    """GET /healthz on a loopback port: (status, JSON body), or None while nothing answers."""
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status, await response.json()
    except aiohttp.ClientError:
        return None
