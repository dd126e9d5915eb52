"""A fetch connects to exactly the address it checked (no DNS rebinding between the check and the connection).

The host's name is resolved once, by a stand-in resolver; every connection of the fetch (retries and
same-host redirects too) goes to that address, while the Host header and, for https, SNI and the
certificate check keep the name. Servers run on loopback only: 127.0.0.1 answers, and a decoy on
127.0.0.2 (what a second resolution would return) records any request that reaches it. No test
contacts any other address.
"""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from urllib3.exceptions import SSLError

from knowledge.importers.fetch import FetchError, PinnedHTTPSConnection, fetch

BODY = b'{"openai/fx-alpha-5": {"name": "FX Alpha 5"}}'


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: Recorder = self.server  # type: ignore[assignment]
        server.seen.append((self.path, self.headers.get("Host")))
        if self.path == "/moved":
            self._answer(301, b"", {"Location": "/flaky"})
        elif self.path == "/flaky" and server.seen.count(("/flaky", self.headers.get("Host"))) == 1:
            self._answer(503, b"busy", {})
        else:
            self._answer(200, BODY, {"Content-Type": "application/json"})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body)), "Connection": "close"}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class Recorder(http.server.ThreadingHTTPServer):
    """A loopback HTTP server that records (path, Host header) of every request."""

    daemon_threads = True

    def __init__(self, host: str, port: int = 0):
        super().__init__((host, port), _Handler)
        self.seen: list[tuple[str, str | None]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    @property
    def port(self) -> int:
        return self.server_address[1]


class Rebinding:
    """A resolver whose answer changes after the first question: 127.0.0.1, then 127.0.0.2."""

    def __init__(self):
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return ["127.0.0.1"] if len(self.asked) == 1 else ["127.0.0.2"]


@pytest.fixture
def servers():
    with Recorder("127.0.0.1") as real:
        try:
            decoy = Recorder("127.0.0.2", real.port)
        except OSError:
            pytest.skip(f"127.0.0.2:{real.port} is taken")
        with decoy:
            yield real, decoy


def test_the_connection_goes_to_the_address_that_was_checked(servers):
    real, decoy = servers
    resolve = Rebinding()
    result = fetch(f"http://models.test:{real.port}/models.json", retries=0, resolve=resolve)
    assert result.body == BODY
    assert real.seen == [("/models.json", f"models.test:{real.port}")]
    assert decoy.seen == [] and resolve.asked == ["models.test"]


def test_retries_and_redirects_stay_on_the_checked_address(servers):
    real, decoy = servers
    resolve = Rebinding()
    result = fetch(f"http://models.test:{real.port}/moved", retries=2, backoff=0.01, resolve=resolve)
    assert result.body == BODY and result.url == f"http://models.test:{real.port}/flaky"
    host = f"models.test:{real.port}"
    assert real.seen == [("/moved", host), ("/flaky", host), ("/flaky", host)]
    assert decoy.seen == [] and resolve.asked == ["models.test"]


def test_a_name_that_resolves_to_nothing_is_one_line():
    with pytest.raises(FetchError) as caught:
        fetch("http://nowhere.test:9/models.json", retries=0, resolve=lambda host: [])
    assert str(caught.value) == "GET http://nowhere.test:9/models.json failed: cannot resolve nowhere.test"


def test_only_http_and_https_are_fetched():
    asked = []
    with pytest.raises(FetchError, match="only http and https URLs are fetched"):
        fetch("ftp://127.0.0.1:9/models.json", retries=0, resolve=lambda host: asked.append(host) or ["127.0.0.1"])
    assert asked == []


# -- https: the name stays for SNI and the certificate ------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    done = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                           "-subj", "/CN=models.test", "-addext", "subjectAltName=DNS:models.test",
                           "-keyout", str(key), "-out", str(cert)], capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        pytest.skip(f"openssl cannot make a test certificate: {done.stderr.decode()[-200:]}")
    return cert, key


@pytest.fixture
def tls_server(certificate):
    cert, key = certificate
    with Recorder("127.0.0.1") as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.sni: list[str | None] = []
        context.sni_callback = lambda sock, name, ctx: server.sni.append(name)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        yield server


def test_https_keeps_the_name_for_sni_and_the_certificate(certificate, tls_server):
    client = ssl.create_default_context(cafile=str(certificate[0]))
    conn = PinnedHTTPSConnection("models.test", tls_server.port, pinned=("127.0.0.1",), ssl_context=client,
                                 timeout=5)
    try:
        conn.request("GET", "/models.json")
        response = conn.getresponse()
        assert response.status == 200 and response.data == BODY
    finally:
        conn.close()
    assert tls_server.sni == ["models.test"]
    assert tls_server.seen == [("/models.json", f"models.test:{tls_server.port}")]


def test_https_refuses_a_certificate_for_another_name(certificate, tls_server):
    client = ssl.create_default_context(cafile=str(certificate[0]))
    conn = PinnedHTTPSConnection("other.test", tls_server.port, pinned=("127.0.0.1",), ssl_context=client,
                                 timeout=5)
    try:
        with pytest.raises((SSLError, ssl.SSLError)):
            conn.request("GET", "/models.json")
            conn.getresponse()
    finally:
        conn.close()
    assert tls_server.seen == []
