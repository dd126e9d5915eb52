"""Fetching is bounded: bytes on the wire and decompressed, the whole fetch's time, and where redirects go.

Hostile servers here run on loopback only (127.0.0.1, and 127.0.0.2 as "another host"), each bounded
in what it sends and for how long. The hostile cases run the fetch in a child process, which reports
its own peak memory (VmHWM, and resource's ru_maxrss) and time; the child has an address-space
limit so that a fetch that is not bounded fails quickly instead of taking the machine's memory. The address
rule is tested as pure functions over URLs and IPs (with a stand-in resolver): no test contacts any other address.
"""

from __future__ import annotations

import contextlib
import json
import os
import socketserver
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from knowledge.importers.fetch import (
    FetchError,
    address_refusal,
    fetch,
    host_refusal,
    internal_origin,
    is_public_address,
    redirect_refusal,
)

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
BODY = b'{"openai/fx-alpha-5": {"name": "FX Alpha 5"}}'
SEND_LIMIT = 512 * MiB
"""The most any hostile answer sends on one connection."""
SEND_SECONDS = 20.0
"""The longest any hostile answer keeps sending."""
CHILD_MEMORY = 1536 * MiB
"""Address-space limit of the child that fetches (an unbounded fetch hits it instead of the host's RAM)."""


def gzip_bomb(gib: int = 4) -> bytes:
    """A valid gzip body of about 4 MB that decompresses to ``gib`` GiB of zeros (built without
    compressing gigabytes: after a full flush, each MiB of zeros compresses to the same block)."""
    zeros = bytes(MiB)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    count = gib * 1024
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first + block * (count - 1) + packer.flush()
            + struct.pack("<II", crc, (count * MiB) & 0xFFFFFFFF))


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: Hostile = self.server  # type: ignore[assignment]
        self.request.settimeout(5)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            data = self.request.recv(4096)
            if not data:
                return
            head += data
        path = head.split(b" ", 2)[1].decode()
        server.requests.append(path)
        with contextlib.suppress(OSError):  # the client hung up, as a bounded fetch does
            getattr(self, "_" + path.strip("/").replace("-", "_").replace(".", "_"), self._missing)(server)

    def _send(self, status: str, headers: dict[str, str], body: bytes = b"") -> None:
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
        self.request.sendall("\r\n".join(lines).encode() + body)

    def _stream(self, piece: bytes, frame=lambda piece: piece, pause: float = 0.0) -> None:
        sent, started = 0, time.monotonic()
        while sent < SEND_LIMIT and time.monotonic() - started < SEND_SECONDS:
            self.request.sendall(frame(piece))
            sent += len(piece)
            if pause:
                time.sleep(pause)

    def _missing(self, server) -> None:
        self._send("404 Not Found", {"Content-Length": "0"})

    def _models_json(self, server) -> None:
        self._send("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(BODY))}, BODY)

    def _endless_chunked(self, server) -> None:
        self._send("200 OK", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        self._stream(b"0" * 65536, lambda piece: b"%x\r\n%s\r\n" % (len(piece), piece))

    def _huge_length(self, server) -> None:
        self._send("200 OK", {"Content-Type": "application/json", "Content-Length": str(2 * 1024 * MiB)})
        self._stream(b"0" * 65536)

    def _gzip_bomb(self, server) -> None:
        self._send("200 OK", {"Content-Type": "application/json", "Content-Encoding": "gzip",
                              "Content-Length": str(len(server.bomb))}, server.bomb)

    def _drip(self, server) -> None:
        self._send("200 OK", {"Content-Type": "application/json", "Content-Length": "100000"})
        self._stream(b" ", pause=0.2)

    def _stall(self, server) -> None:
        time.sleep(min(SEND_SECONDS, 6))

    def _dripping_503(self, server) -> None:
        self._send("503 Service Unavailable", {"Content-Type": "text/html", "Content-Length": "100000"})
        self._stream(b" ", pause=0.2)

    def _brotli(self, server) -> None:
        self._send("200 OK", {"Content-Encoding": "br", "Content-Length": "4"}, b"\x00\x01\x02\x03")

    def _to_other_host(self, server) -> None:
        self._send("302 Found", {"Location": f"http://127.0.0.2:{server.other_port}/models.json",
                                 "Content-Length": "0"})

    def _to_same_host(self, server) -> None:
        self._send("301 Moved Permanently", {"Location": "/models.json", "Content-Length": "0"})

    def _to_file(self, server) -> None:
        self._send("302 Found", {"Location": "file:///etc/passwd", "Content-Length": "0"})

    def _loop(self, server) -> None:
        self._send("307 Temporary Redirect", {"Location": "/loop", "Content-Length": "0"})


class Hostile(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, bomb: bytes = b"", other_port: int = 0):
        super().__init__((host, 0), _Handler)
        self.host, self.bomb, self.other_port = host, bomb, other_port
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server_address[1]}/{path}"


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()


@pytest.fixture
def other():
    with Hostile("127.0.0.2") as server:
        yield server


@pytest.fixture
def hostile(bomb, other):
    with Hostile("127.0.0.1", bomb, other.server_address[1]) as server:
        yield server


CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from knowledge.importers.fetch import FetchError, fetch

def status(field):  # MiB; VmHWM is this program's peak RSS (ru_maxrss may carry the parent's from before exec)
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

base = status("VmRSS")
started = time.monotonic()
try:
    result = fetch(sys.argv[1], retries=int(sys.argv[2]), backoff=0.01)
    outcome = f"fresh: {{len(result.body)}} bytes"
except FetchError as exc:
    outcome = f"FetchError: {{exc}}"
except MemoryError:
    outcome = "MemoryError"
print(json.dumps({{"outcome": outcome, "seconds": round(time.monotonic() - started, 3), "base_mib": base,
                  "peak_mib": status("VmHWM"),
                  "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def fetch_in_child(url: str, retries: int = 0, **settings: str) -> dict:
    """Fetch in a fresh process; its outcome, seconds, and peak RSS before and after (MiB)."""
    env = {**os.environ, **settings, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD.format(limit=CHILD_MEMORY), url, str(retries)], env=env,
                          check=False,
                          cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["growth_mib"] = report["peak_mib"] - report["base_mib"]
    print(f"\n{url.rsplit('/', 1)[-1]}: {report}")  # the measured bound (pytest -s shows it)
    return report


# -- the address and redirect rules, as pure functions -------------------------------------------


@pytest.mark.parametrize("ip", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "93.184.216.34"])
def test_public_addresses(ip):
    assert is_public_address(ip)
    assert address_refusal(ip, allow_internal=False) is None


@pytest.mark.parametrize("ip", [
    "127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fe80::1%eth0", "fd00:ec2::254",
    "::ffff:169.254.169.254", "::ffff:127.0.0.1", "not-an-ip",
])
def test_private_loopback_link_local_and_reserved_addresses_are_refused(ip):
    assert not is_public_address(ip)
    assert "private, loopback, link-local or reserved" in address_refusal(ip, allow_internal=False)
    assert address_refusal(ip, allow_internal=True) is None


def test_an_internal_origin_is_one_that_names_or_resolves_to_an_internal_address():
    resolve = {"models.dev": ["104.21.1.1"], "mirror.lan": ["10.0.0.5"], "127.0.0.1": ["127.0.0.1"],
               "both.example": ["104.21.1.1", "192.168.0.9"]}.__getitem__
    assert not internal_origin("https://models.dev/models.json", resolve)
    assert internal_origin("http://mirror.lan/models.json", resolve)
    assert internal_origin("http://127.0.0.1:8080/models.json", resolve)
    assert internal_origin("http://both.example/models.json", resolve)


def test_a_public_name_that_resolves_to_an_internal_address_is_refused():
    """DNS rebinding: the configured host was public when the fetch began; now it points inside."""
    resolve = {"models.dev": ["169.254.169.254"]}.__getitem__
    assert host_refusal("https://models.dev/models.json", False, resolve) == (
        "models.dev resolves to 169.254.169.254 is a private, loopback, link-local or reserved address")
    assert host_refusal("https://models.dev/models.json", True, resolve) is None
    assert host_refusal("http://[::1]/x", False, {"::1": ["::1"]}.__getitem__).startswith("::1 is a private")
    assert host_refusal("https://models.dev/x", False, {"models.dev": ["104.21.1.1"]}.__getitem__) is None


@pytest.mark.parametrize("origin, target, refused", [
    ("https://models.dev/models.json", "https://models.dev/v2/models.json", None),
    ("https://models.dev/models.json", "https://MODELS.DEV./models.json", None),
    ("http://models.dev/models.json", "https://models.dev/models.json", None),
    ("https://models.dev/models.json", "https://models.dev:8443/models.json", None),
    ("https://models.dev/models.json", "http://models.dev/models.json", "from https down to http"),
    ("https://models.dev/models.json", "https://cdn.models.dev/models.json", "another host"),
    ("https://models.dev/models.json", "http://169.254.169.254/latest/meta-data/", "down to http"),
    ("http://models.dev/models.json", "http://169.254.169.254/latest/meta-data/", "another host"),
    ("http://models.dev/models.json", "http://[fd00:ec2::254]/", "another host"),
    ("http://127.0.0.1:8000/models.json", "http://127.0.0.2:8000/models.json", "another host"),
    ("https://models.dev/models.json", "file:///etc/passwd", "http and https only"),
    ("https://models.dev/models.json", "gopher://models.dev/", "http and https only"),
    ("https://models.dev/models.json", "ftp://models.dev/models.json", "http and https only"),
])
def test_redirects_only_to_the_same_host_over_http_or_https(origin, target, refused):
    reason = redirect_refusal(origin, target)
    assert (reason is None) if refused is None else (refused in reason)


# -- redirects, against loopback servers --------------------------------------------------------


def test_a_redirect_on_the_same_host_is_followed(hostile):
    result = fetch(hostile.url("to-same-host"), retries=0)
    assert result.body == BODY and result.url == hostile.url("models.json")


def test_a_redirect_to_another_host_is_not_followed(hostile, other):
    with pytest.raises(FetchError) as caught:
        fetch(hostile.url("to-other-host"), retries=0)
    assert str(caught.value) == (f"GET {hostile.url('to-other-host')} failed: a redirect to another host "
                                 f"({other.url('models.json')}) is not followed")
    assert other.requests == []


def test_redirects_to_other_schemes_and_redirect_loops_are_not_followed(hostile):
    with pytest.raises(FetchError, match=r"file URL file:///etc/passwd is not followed \(http and https only\)"):
        fetch(hostile.url("to-file"), retries=0)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(hostile.url("loop"), retries=0)
    assert hostile.requests.count("/loop") == 6


# -- bytes and time ---------------------------------------------------------------------------


def test_an_endless_chunked_body_stops_at_the_cap(hostile):
    report = fetch_in_child(hostile.url("endless-chunked"))
    assert report["outcome"] == (f"FetchError: GET {hostile.url('endless-chunked')} failed: the body is more than "
                                 "67,108,864 bytes (the cap, MODELWIRE_SYNC_MAX_BYTES)")
    assert report["growth_mib"] < 100 and report["seconds"] < 20


def test_a_2_gib_content_length_is_refused_before_reading(hostile):
    report = fetch_in_child(hostile.url("huge-length"))
    assert report["outcome"] == (f"FetchError: GET {hostile.url('huge-length')} failed: the body is 2,147,483,648 "
                                 "bytes, more than 67,108,864 bytes (the cap, MODELWIRE_SYNC_MAX_BYTES)")
    assert report["growth_mib"] < 20 and report["seconds"] < 5


def test_a_gzip_bomb_stops_at_the_cap_while_decompressing(hostile, bomb):
    assert 3 * MiB < len(bomb) < 5 * MiB
    report = fetch_in_child(hostile.url("gzip-bomb"))
    assert report["outcome"] == (f"FetchError: GET {hostile.url('gzip-bomb')} failed: the body decompresses to "
                                 "more than 67,108,864 bytes (the cap, MODELWIRE_SYNC_MAX_BYTES)")
    assert report["growth_mib"] < 100 and report["seconds"] < 20


def test_the_cap_is_a_setting(hostile):
    report = fetch_in_child(hostile.url("gzip-bomb"), MODELWIRE_SYNC_MAX_BYTES=str(8 * MiB))
    assert report["outcome"].endswith("decompresses to more than 8,388,608 bytes (the cap, MODELWIRE_SYNC_MAX_BYTES)")
    assert report["growth_mib"] < 40


def test_a_drip_feed_is_cut_at_the_overall_deadline(hostile):
    report = fetch_in_child(hostile.url("drip"), MODELWIRE_SYNC_DEADLINE_SECONDS="2")
    assert report["outcome"] == (f"FetchError: GET {hostile.url('drip')} failed: not done within 2 s "
                                 "(the fetch's deadline, MODELWIRE_SYNC_DEADLINE_SECONDS)")
    assert 1.9 <= report["seconds"] < 3.5


def test_the_deadline_covers_retries(hostile):
    """Four tries of a server that never answers, 1.5 s each, end at the 2 s deadline, not after 6 s."""
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"not done within 2 s"):
        fetch(hostile.url("stall"), timeout=1.5, retries=3, backoff=0.01, deadline=2)
    assert time.monotonic() - started < 3.5


def test_an_error_body_is_not_drained(hostile):
    """A retried 503 is closed, not drained (urllib3 would read a dripping error page to its end)."""
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(hostile.url("dripping-503"), retries=2, backoff=0.01, deadline=10)
    assert str(caught.value) == (f"GET {hostile.url('dripping-503')} failed: HTTP 503 Service Unavailable "
                                 "after 3 attempts")
    assert time.monotonic() - started < 3 and hostile.requests.count("/dripping-503") == 3


def test_an_unknown_content_encoding_is_refused(hostile):
    with pytest.raises(FetchError, match=r"Content-Encoding 'br' is not supported"):
        fetch(hostile.url("brotli"), retries=0)


def test_a_gzip_body_within_the_cap_is_decoded(hostile, monkeypatch):
    packed = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    gz = packed.compress(BODY) + packed.flush()
    monkeypatch.setattr(hostile, "bomb", gz)
    result = fetch(hostile.url("gzip-bomb"), retries=0)
    assert result.body == BODY


@pytest.mark.parametrize("name, value", [("MODELWIRE_SYNC_MAX_BYTES", "lots"), ("MODELWIRE_SYNC_MAX_BYTES", "-1"),
                                         ("MODELWIRE_SYNC_DEADLINE_SECONDS", "nan"),
                                         ("MODELWIRE_SYNC_DEADLINE_SECONDS", "inf")])
def test_a_malformed_setting_is_one_line(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(FetchError) as caught:
        fetch("http://127.0.0.1:9/models.json", retries=0)
    assert str(caught.value).startswith(f"{name} must be a positive ")
