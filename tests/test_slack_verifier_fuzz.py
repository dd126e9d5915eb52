"""The Slack request verifier never raises (issue 13, fuzzing row): any body, headers and timestamp are
verified or refused.

``SlackBot.signed_by_slack`` is called directly with arbitrary bodies (text and bytes), headers and
timestamps; a correctly signed, fresh request is always accepted, a changed one never. Then random
unsigned requests go over loopback to the real HTTP-mode app: every one is a 401, never a 500.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import threading
import time

import pytest
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.slack.app import EVENTS_PATH, SlackBot
from adapters.slack.settings import SlackSettings

SECRET = "fuzz-signing-secret-0123456789"
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HTTP_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

timestamps = st.one_of(
    st.integers(-10**20, 10**20).map(str), st.integers().map(lambda n: str(n) * 40), st.text(max_size=30),
    st.sampled_from(["", "nan", "inf", "-inf", "1e300", "١٢٣", "²", " 1", "1.5", "0x10", "9" * 400,
                     str(int(time.time()))]))
signatures = st.one_of(st.text(max_size=80), st.sampled_from(["", "v0=", "v0=" + "0" * 64, "v0=é", "v1=abc"]),
                       st.binary(max_size=70).map(lambda b: "v0=" + b.hex()))
bodies = st.one_of(st.text(max_size=200), st.binary(max_size=200),
                   st.sampled_from(["\udcff", b"\xff\xfe", "token=x&payload=%ff", "{}"]))
header_names = st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature", "x-slack-request-timestamp",
                                "x-slack-signature", "Content-Type", "X-Other"]) | st.text(max_size=20)


def sign(body: str | bytes, ts: str, secret: str = SECRET) -> str:
    raw = body if isinstance(body, bytes) else body.encode()
    return "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def bot(seeded_kb) -> SlackBot:
    settings_ = SlackSettings(bot_token="xoxb-fuzz", app_token="xapp-fuzz", signing_secret=SECRET, mode="http",
                              api_url="http://127.0.0.1:9/api/")  # never called: no request here is signed
    return SlackBot(seeded_kb, settings_)


@FUZZ
@given(body=bodies, ts=timestamps, signature=signatures,
       extra=st.dictionaries(header_names, st.text(max_size=40), max_size=4))
@example(body=b"\xff", ts="9" * 400, signature="v0=x", extra={})
@example(body="x", ts="nan", signature="v0=é", extra={})
@example(body="\udcff", ts=str(int(time.time())), signature="v0=" + "0" * 64, extra={})
def test_any_request_is_verified_or_refused(bot, body, ts, signature, extra):
    headers = {**extra, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}
    assert bot.signed_by_slack(body, headers) in (True, False)
    assert bot.signed_by_slack(body, extra) is False or {"x-slack-signature", "x-slack-request-timestamp"} <= \
        {k.lower() for k in extra}


@FUZZ
@given(body=st.text(max_size=200) | st.binary(max_size=200),
       skew=st.integers(-299, 299), flip=st.integers(0, 63))
def test_a_fresh_correct_signature_is_accepted_and_any_change_refused(bot, body, skew, flip):
    try:
        body.encode() if isinstance(body, str) else body.decode("utf-8")
    except UnicodeError:  # Slack sends UTF-8 only: anything else is refused, even with a correct HMAC
        ts = str(int(time.time()))
        signed = sign(body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body, ts)
        assert bot.signed_by_slack(body, {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signed}) is False
        return
    ts = str(int(time.time()) + skew)
    good = sign(body, ts)
    assert bot.signed_by_slack(body, {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": good}) is True
    digit = good[3 + flip]
    bad = good[:3 + flip] + ("0" if digit != "0" else "1") + good[4 + flip:]
    assert bot.signed_by_slack(body, {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": bad}) is False
    stale = str(int(time.time()) - 3600)
    assert bot.signed_by_slack(body, {"X-Slack-Request-Timestamp": stale,
                                      "X-Slack-Signature": sign(body, stale)}) is False
    assert bot.signed_by_slack(body, {"X-Slack-Request-Timestamp": ts,
                                      "X-Slack-Signature": sign(body, ts, "another-secret")}) is False


@pytest.fixture(scope="module")
def server(bot):
    """The HTTP-mode app on a loopback port, served by a loop on its own thread."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict = {}

    async def start() -> None:
        runner = web.AppRunner(bot.web_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["runner"], state["port"] = runner, site._server.sockets[0].getsockname()[1]
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    assert started.wait(30)
    yield state["port"]
    asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)


latin1_values = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=60)


@HTTP_FUZZ
@given(body=st.binary(max_size=300), ts=timestamps.map(lambda t: t.encode("utf-8", "replace").decode("latin-1")),
       signature=latin1_values,
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                     "application/x-www-form-urlencoded; charset=bogus-99", "text/plain; charset=",
                                     "application/json; charset=utf-16", ""]) | latin1_values)
@example(body=b"\xff\xfe\x00", ts="9" * 400, signature="v0=abc", content_type="application/json; charset=nope")
def test_unsigned_requests_over_http_are_a_quiet_401(server, body, ts, signature, content_type):
    ts = "".join(c for c in ts if " " <= c <= "\xff" and c != "\x7f").strip()
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    try:
        connection.putrequest("POST", EVENTS_PATH)
        for name, value in (("Content-Type", content_type.strip()), ("X-Slack-Request-Timestamp", ts),
                            ("X-Slack-Signature", signature.strip()), ("Content-Length", str(len(body)))):
            connection.putheader(name, value.encode("latin-1"))
        connection.endheaders(body)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status in (400, 401), response.status  # 400 only for a request HTTP itself rejects
