"""Real HTTP servers for the gateway's tests: a fake service, an identity-like key set, token making.

Used by ``gateway/tests``, ``tests/integration/test_gateway.py`` and recert_common's HTTP tests
(``pytest.ini`` puts this folder on the path); kept out of the gateway's package, which ships only what runs
in production.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from recert_common.auth import access_token_claims, generate_ed25519_jwk, sign_token
from recert_gateway.routes import ROUTES, RouteTable

from ports import free_port

CHUNK = 64 * 1024
# How often a served fake looks whether it is to stop: ``shutdown`` waits up to this long, once per server,
# and a composed-endpoint test stops six of them (0.05 s made a third of the fast suite's time teardown).
POLL_SECONDS = 0.01
# The content of every fake download: this block over and over, so a reader can check what it got.
PATTERN = bytes(range(256)) * (CHUNK // 256)


def pattern_bytes(count: int) -> Iterator[bytes]:
    sent = 0
    while sent < count:
        piece = PATTERN[:min(CHUNK, count - sent)]
        sent += len(piece)
        yield piece


def pattern_sha256(count: int) -> str:
    digest = hashlib.sha256()
    for piece in pattern_bytes(count):
        digest.update(piece)
    return digest.hexdigest()


class _SmallDrainReads:
    """The connection's reader, with reads of 1 MB or more cut to 64 KiB.

    At the end of every connection werkzeug's development server drains what the client left unread with
    ``read(10_000_000)``, which allocates 10 MB for a moment. Memory measurements in the tests would see that
    instead of the gateway's own use; production servers (gunicorn) do nothing of the kind.
    """

    def __init__(self, reader: Any):
        self._reader = reader

    def read(self, size: int = -1) -> bytes:
        return self._reader.read(CHUNK if size >= 1_000_000 else size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


class _RequestHandler(WSGIRequestHandler):
    def setup(self) -> None:
        super().setup()
        self.rfile = _SmallDrainReads(self.rfile)

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # one line per request of every test server would drown the test output


@contextlib.contextmanager
def serve(app: Callable, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve a WSGI app on a free port in a thread (werkzeug's server); yields its base URL."""
    server = make_server(host, 0, app, threaded=True, request_handler=_RequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS},
                              daemon=True, name=f"serve-{server.server_port}")
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def closing_server(host: str = "127.0.0.1") -> Iterator[str]:
    """A server that accepts each connection, reads a little and closes it without answering."""
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(16)
    listener.settimeout(0.05)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                with contextlib.suppress(OSError):
                    conn.recv(65536)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def unused_url() -> str:
    """A URL at which nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body_bytes: int
    body_sha256: str


@dataclass
class FakeService:
    """A service as the gateway sees one. Any path not listed below is echoed back as JSON (``Seen``).

    Special last path segments: ``slow`` (waits ``?seconds=``), ``download`` (streams ``?bytes=`` bytes of
    ``PATTERN``), ``problem`` (a 404 problem), ``cookies`` (two ``Set-Cookie``), ``gzip`` (a gzip-encoded
    JSON body), ``created`` (201 with an absolute ``Location``), ``refuse`` (413 after reading 1 MiB).
    ``/healthz``, ``/v1/openapi.json`` and, when ``jwks`` is given, ``/v1/.well-known/jwks.json`` answer too.
    """

    name: str = "identity"
    openapi: Mapping[str, Any] | None = None
    jwks: Mapping[str, Any] | None = None
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, prefix: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.path.startswith(prefix)]

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        path = request.path
        if path == "/healthz":
            return _json({"status": "ok"})
        if path == "/v1/openapi.json" and self.openapi is not None:
            return _json(self.openapi)
        if path == "/v1/.well-known/jwks.json" and self.jwks is not None:
            return _json(self.jwks)
        action = path.rstrip("/").rsplit("/", 1)[-1]
        if action == "refuse":
            request.stream.read(1024 * 1024)
            return _json({"type": "about:blank", "title": "too large", "status": 413}, 413,
                         "application/problem+json")
        seen = self._read(request)
        if action == "slow":
            self.release.wait(float(request.args.get("seconds", "5")))
            return _json({"slow": True})
        if action == "download":
            count = int(request.args.get("bytes", "0"))
            return Response(pattern_bytes(count), mimetype="application/octet-stream",
                            headers={"Content-Length": str(count)} if "length" in request.args else None,
                            direct_passthrough=True)
        if action == "problem":
            return _json({"type": "https://recert.noloc.nl/problems/not-found", "title": "Niet gevonden",
                          "status": 404, "detail": f"from {self.name}"}, 404, "application/problem+json")
        if action == "cookies":
            response = _json({"cookies": 2})
            response.headers.add("Set-Cookie", "a=1; Path=/")
            response.headers.add("Set-Cookie", "b=2; Path=/")
            return response
        if action == "gzip":
            response = Response(gzip.compress(json.dumps({"zipped": True}).encode()),
                                mimetype="application/json")
            response.headers["Content-Encoding"] = "gzip"
            return response
        if action == "created":
            return _json({"created": True}, 201, headers={"Location": f"{request.host_url}v1/things/1"})
        return _json(seen.__dict__)

    def _read(self, request: Request) -> Seen:
        digest, total = hashlib.sha256(), 0
        while chunk := request.stream.read(CHUNK):
            digest.update(chunk)
            total += len(chunk)
        seen = Seen(request.method, request.path, request.query_string.decode(),
                    dict(request.headers.items()), total, digest.hexdigest())
        with self._lock:
            self.seen.append(seen)
        return seen


@dataclass
class Answer:
    """What a ``ScriptedService`` answers: ``body`` as JSON (a problem document from 400 on), after
    ``delay`` seconds (cut short when the service's ``release`` is set)."""

    body: Any = None
    status: int = 200
    delay: float = 0.0


Script = Answer | Callable[[Request], Answer]


@dataclass
class ScriptedService:
    """A service that answers set documents by path, for the composed endpoints' tests.

    ``answers`` maps a path (``/v1/pe/summary``) to an ``Answer``, or to a function of the request that
    returns one (to answer by query). Other paths answer a 404 problem. Every request is kept in ``seen``.
    """

    name: str
    answers: dict[str, Script] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.path == path]

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        seen = Seen(request.method, request.path, request.query_string.decode(),
                    dict(request.headers.items()), 0, hashlib.sha256().hexdigest())
        with self._lock:
            self.seen.append(seen)
        script = self.answers.get(request.path)
        if script is None:
            answer = Answer({"type": "https://recert.noloc.nl/problems/not-found", "title": "Niet gevonden",
                             "status": 404, "detail": f"{self.name} has no {request.path}"}, 404)
        else:
            answer = script(request) if callable(script) else script
        if answer.delay:
            self.release.wait(answer.delay)
        mimetype = "application/problem+json" if answer.status >= 400 else "application/json"
        return _json(answer.body, answer.status, mimetype)(environ, start_response)


def _json(body: Any, status: int = 200, mimetype: str = "application/json",
          headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype=mimetype, headers=headers)


@dataclass
class TokenMaker:
    """Signs access tokens as identity does, with a key of its own; ``jwks`` is what identity publishes."""

    issuer: str = "recert-identity"
    audience: str = "recert"
    kid: str = field(default_factory=lambda: f"k-{uuid.uuid4().hex[:8]}")
    private: dict[str, str] = field(init=False)
    public: dict[str, str] = field(init=False)

    def __post_init__(self):
        self.private, self.public = generate_ed25519_jwk(self.kid)

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public]}

    def token(self, *, roles: tuple[str, ...] = ("jobcoach",), account_id: str | None = None,
              issued: datetime | None = None, ttl: timedelta = timedelta(minutes=5), **claims: Any) -> str:
        body = access_token_claims(account_id or uuid.uuid4(), roles, issuer=self.issuer,
                                   audience=self.audience, ttl=ttl, now=issued)
        body.update(claims)
        return sign_token(self.private, self.kid, body)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# The gateway's tests fake one service, identity; the other routed services are left out so that nothing
# on this machine's default ports can answer for them.
IDENTITY_ROUTES = RouteTable([route for route in ROUTES if route.service == "identity"])


def port_echo_server():
    """A keep-alive HTTP/1.1 server that answers GET and POST with the client's port: one port, one
    connection. The caller shuts it down (``shutdown``, ``server_close``)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = str(self.client_address[1]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.do_GET()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS},
                     daemon=True).start()
    return server
