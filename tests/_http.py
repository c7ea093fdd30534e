"""A real HTTP server on 127.0.0.1 for tests: records every request, answers from a script.

::

    with RecordingServer(500, Redirect("/elsewhere"), Hang(3)) as server:
        post(server.url + "/hook")          # answered 500
        post(server.url + "/hook")          # answered 302 Location: /elsewhere
        post(server.url + "/hook")          # no answer for 3 s, then the connection closes
        post(server.url + "/hook")          # script used up: answered ``default`` (200)
        server.wait_for(4)                  # the 4 recorded requests, or AssertionError

An answer is an ``int`` (that status, empty body), :class:`Reply` (status, body, headers),
:class:`Redirect` (a 3xx with ``Location``) or :class:`Hang` (no answer for a while; closing
the server ends every hang at once). Each request takes the next answer of the script
(:meth:`RecordingServer.answer` appends more); a request is recorded when it has been read,
before it is answered. Imported by name (``from _http import RecordingServer``): tests/ is on
``sys.path``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["Answer", "Hang", "RecordingServer", "Redirect", "Reply", "Request"]


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer ``status`` with ``body`` and ``headers``."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Redirect:
    """Answer ``status`` (a 3xx) with ``Location: location``."""

    location: str
    status: int = 302


@dataclass(frozen=True, slots=True)
class Hang:
    """Read the request, then say nothing for ``seconds`` and close the connection."""

    seconds: float


Answer = int | Reply | Redirect | Hang


@dataclass(frozen=True, slots=True)
class Request:
    """One request as received: ``headers`` keys lower-cased, ``body`` the raw bytes."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class RecordingServer:
    """A threaded HTTP server on a free port of 127.0.0.1 (a context manager).

    ``url`` is ``http://127.0.0.1:<port>`` (no trailing slash); :attr:`requests` is a copy of
    what arrived so far, in order. Safe to use from any thread.
    """

    def __init__(self, *script: Answer, default: Answer = 200) -> None:
        self._script: deque[Answer] = deque(script)
        self._default = default
        self._requests: list[Request] = []
        self._changed = threading.Condition()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True  # a hang never blocks the end of the tests
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, *answers: Answer) -> None:
        """Append ``answers`` to the script."""
        with self._changed:
            self._script.extend(answers)

    @property
    def requests(self) -> list[Request]:
        with self._changed:
            return list(self._requests)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Request]:
        """The requests once at least ``n`` arrived; AssertionError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {n} requests within {timeout}s, got {len(self._requests)}:"
                        f" {[(r.method, r.path) for r in self._requests]}"
                    )
                self._changed.wait(left)
            return list(self._requests)

    def _record(self, request: Request) -> Answer:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            return self._script.popleft() if self._script else self._default


def _handler_for(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = server._record(Request(self.command, self.path, headers, body))
            if isinstance(answer, Hang):
                server._closing.wait(answer.seconds)
                self.close_connection = True
                return
            if isinstance(answer, int):
                answer = Reply(answer)
            elif isinstance(answer, Redirect):
                answer = Reply(answer.status, headers={"Location": answer.location})
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test's own assertions say what arrived

    return Handler
