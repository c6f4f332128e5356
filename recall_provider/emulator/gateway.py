"""A small HTTP/1.1 WSGI server that keeps connections alive, as Recall's servers do.

werkzeug's development server closes every connection after its answer (and reads the socket
dry to do so), and waitress, which keeps them alive, gives an app no way to reset one, which
the emulator's ``drop`` fault needs. The standard library's ``http.server`` parses HTTP/1.1 and
keeps connections open; this module adds the WSGI environ around it, reads each request's body
to its declared end before the next request, and tracks the open connections so that a stop
closes them.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from werkzeug.wsgi import LimitedStream

__all__ = ["KeepAliveServer"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# How long a kept-alive connection may sit idle before its thread lets it go.
_IDLE_SECONDS = 30.0


class KeepAliveServer(ThreadingHTTPServer):
    """Serves one WSGI app from a thread per connection; ``close_connections`` ends them."""

    daemon_threads = True

    def __init__(self, listener: socket.socket, app: WSGIApp) -> None:
        self.address_family = listener.family
        super().__init__(listener.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.server_address = listener.getsockname()
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.server_address[1])

    def track(self, connection: socket.socket, open_: bool) -> None:
        """Remember (or forget) a connection that a handler serves."""
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """End every kept-alive connection, so that no handler thread outlives the server."""
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = _IDLE_SECONDS
    # An answer leaves in one write: headers and body written apart on a kept-alive
    # connection meet Nagle's algorithm and the client's delayed ACK, 40 ms an answer.
    wbufsize = 1 << 16
    server: KeepAliveServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.track(self.connection, open_=False)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing: a test run makes thousands of requests."""

    def __getattr__(self, name: str) -> Any:
        # http.server dispatches to do_<METHOD>; every method goes to the WSGI app.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        length = self.headers.get("Content-Length", "")
        body = LimitedStream(self.rfile, int(length) if length.isdigit() else 0)  # type: ignore[arg-type]
        environ = self._environ(body)
        answer: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            answer[:] = [status, headers]
            return lambda data: None

        try:
            chunks = self.server.app(environ, start_response)
            try:
                data = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except ConnectionAbortedError:
            # A drop fault reset the connection: nothing more is read or written on it.
            self.close_connection = True
            return
        body.exhaust()
        status, headers = answer
        code, _, reason = status.partition(" ")
        self.send_response_only(int(code), reason)
        names = {name.lower() for name, _ in headers}
        for name, value in headers:
            self.send_header(name, value)
        if "content-length" not in names and int(code) not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _environ(self, body: LimitedStream) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": str(self.server.server_address[0]),
            "SERVER_PORT": str(self.server.port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": str(self.client_address[0]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": body,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            # The drop fault resets the connection through it, as under werkzeug's server.
            "werkzeug.socket": self.connection,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            else:
                environ.setdefault(f"HTTP_{key}", value)
        return environ
