"""A local webhook receiver that records what it gets: for the delivery benchmark, the
integration tests, and trying a routing file by hand (``aiops bench notify`` uses it).

It answers 200, or ``fail_with`` while that is set, and can stop listening altogether
(``stop()`` / ``start()`` on the same port) to play a receiver that is down.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from connectors.webhook import signing


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) drops connection attempts in a burst, and the client's
    # retry comes a second later (TCP's SYN retransmission): a delay of the target's making.
    request_queue_size = 128


@dataclass(frozen=True, slots=True)
class Received:
    at: float
    """Wall-clock arrival time (seconds)."""
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None

    def json(self) -> dict:
        return orjson.loads(self.body)


class WebhookTarget:
    def __init__(self, port: int = 0, secret: bytes | None = None) -> None:
        self.port = port
        self.secret = secret
        self.fail_with: int | None = None
        self.received: list[Received] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookTarget:
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real webhook servers do

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if target.fail_with is not None:
                    with target._lock:
                        target.refused += 1
                    self.send_response(target.fail_with)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ok = None
                if target.secret is not None:
                    ok = signing.verify(target.secret, self.headers.get(signing.HEADER, ""),
                                        body)
                with target._lock:
                    target.received.append(Received(time.time(), dict(self.headers.items()),
                                                    body, ok))
                self.send_response(200 if ok is not False else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                return None

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="webhook-target", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused) until ``start()``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def keys(self) -> Counter:
        """Requests per ``X-AIOps-Dedup-Key``."""
        with self._lock:
            return Counter(r.headers.get("X-AIOps-Dedup-Key", "") for r in self.received)

    def __enter__(self) -> WebhookTarget:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
