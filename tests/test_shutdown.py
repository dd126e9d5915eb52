"""SIGTERM and SIGINT stop a long-running command cleanly and quickly (issue 13, #18).

``modelwire scheduler`` runs as a real process (no tokens: it posts only terminal subscriptions' digests),
on SQLite and PostgreSQL; after it has ticked once it is sent a signal and must exit 0 within 10 s
(``docker compose stop`` waits 10 s before SIGKILL) with no traceback, having shut its scheduler down.
``modelwire slack`` (Socket Mode) and ``modelwire discord`` run against the loopback fakes and must close
their socket and gateway connection on SIGTERM, within the same bound.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

MODELWIRE = str(Path(sys.executable).parent / "modelwire")
BOUND = 10.0


def environment(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "MODELWIRE_"))}
    return env | {"MODELWIRE_DATABASE_URL": db_url, "MODELWIRE_SYNC_INTERVAL_MINUTES": "0",
                  "MODELWIRE_LOG_FORMAT": "text", "MODELWIRE_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}


class Running:
    """A started process whose stderr is read line by line on a thread."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if text in self.lines.get(timeout=0.2):
                    return
            except queue.Empty:
                if self.process.poll() is not None:
                    break
        self.process.kill()
        pytest.fail(f"never logged {text!r}:\n{''.join(self.stderr)}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_scheduler_stops_cleanly_within_ten_seconds(db_url, signum):
    env = environment(db_url)
    made = subprocess.run([MODELWIRE, "subscribe", "instant"], env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0 and "Subscribed" in made.stdout, made.stderr  # a terminal subscription
    running = Running([MODELWIRE, "scheduler"], env)
    try:
        running.wait_for("executed successfully")  # the first tick has run: it is doing its work
        sent = time.monotonic()
        running.process.send_signal(signum)
        code = running.process.wait(timeout=BOUND + 5)
        took = time.monotonic() - sent
    finally:
        if running.process.poll() is None:
            running.process.kill()
    running.process.stdout.close()
    time.sleep(0.2)  # the reader thread takes the last lines
    log = "".join(running.stderr)
    print(f"{signal.Signals(signum).name}: exited {code} after {took:.2f} s")
    assert took < BOUND, log
    assert code == 0, log
    assert "Traceback" not in log and "Aborted" not in log, log
    assert "Scheduler has been shut down" in log, log  # APScheduler was stopped, not killed


# -- the chat apps: Slack (Socket Mode) and Discord against the loopback fakes ---------------------------


class AsyncRunning:
    """A started process whose stderr is collected by a task."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process, self.lines = process, []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for line in self.process.stderr:
            self.lines.append(line.decode("utf-8", "replace"))

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def until(self, condition, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.returncode is not None or time.monotonic() > deadline:
                if self.process.returncode is None:
                    self.process.kill()
                await self.process.wait()
                await self.reader
                pytest.fail(f"never {what}:\n{self.log}")
            await asyncio.sleep(0.05)

    async def stop(self, signum: int) -> tuple[int, float]:
        """Send ``signum``; (exit code, seconds until exit)."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        try:
            await asyncio.wait_for(self.process.wait(), BOUND + 5)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()
            pytest.fail(f"did not exit within 15 s:\n{self.log}")
        took = time.monotonic() - sent
        await self.reader
        return self.process.returncode, took


async def _start(args: list[str], env: dict[str, str]) -> AsyncRunning:
    return AsyncRunning(await asyncio.create_subprocess_exec(*args, env=env, stdout=asyncio.subprocess.DEVNULL,
                                                             stderr=asyncio.subprocess.PIPE))


@pytest.mark.asyncio
async def test_slack_in_socket_mode_stops_cleanly_and_closes_its_socket(db_url, fake):
    env = environment(db_url) | {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": "xapp-test-token",
                                 "SLACK_MODE": "socket", "SLACK_API_URL": fake.base_url}
    running = await _start([MODELWIRE, "slack"], env)
    await running.until(lambda: fake._sockets and not fake._sockets[-1].closed, "connected its socket")
    await running.until(lambda: "executed successfully" in running.log, "ran its first digest tick")
    code, took = await running.stop(signal.SIGTERM)
    print(f"slack: exited {code} after {took:.2f} s")
    assert took < BOUND and code == 0, running.log
    assert "Traceback" not in running.log and "Aborted" not in running.log, running.log
    await running.until(lambda: all(ws.closed for ws in fake._sockets), "closed its socket", timeout=5)


@pytest.mark.asyncio
async def test_discord_stops_cleanly_and_closes_its_gateway(db_url, fake_discord):
    from tests.fakes.discord import GUILD_ID, TOKEN

    env = environment(db_url) | {"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": str(GUILD_ID),
                                 "DISCORD_API_URL": fake_discord.api_url,
                                 "DISCORD_GATEWAY_URL": fake_discord.gateway_url}
    running = await _start([MODELWIRE, "discord"], env)
    await running.until(lambda: fake_discord._identified.is_set(), "identified on the gateway")
    await running.until(lambda: "executed successfully" in running.log, "ran its first digest tick")
    code, took = await running.stop(signal.SIGTERM)
    print(f"discord: exited {code} after {took:.2f} s")
    assert took < BOUND and code == 0, running.log
    assert "Traceback" not in running.log and "Aborted" not in running.log, running.log
    await running.until(lambda: all(ws.closed for ws in fake_discord._sockets), "closed its gateway", timeout=5)
