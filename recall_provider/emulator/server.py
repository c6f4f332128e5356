"""The emulator served over HTTP from a background thread, on loopback by default."""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import EmulatorApp
from .backend import Backend

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without a stderr line per request, and able to drop connections."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Say nothing: a test run makes thousands of requests."""

    def connection_dropped(
        self, error: BaseException, environ: WSGIEnvironment | None = None
    ) -> None:
        """End the connection: the client went away, or a drop fault aborted it."""
        # Nobody waits for an answer, so don't read a next request on this connection.
        self.close_connection = True
        # A drop fault closed the socket, but the read file still holds it open; releasing
        # it performs the real (resetting) close before anything else is written.
        self.rfile.close()


class EmulatorServer:
    """A threaded HTTP server running an EmulatorApp, usable as a context manager."""

    def __init__(
        self, backend: Backend | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.backend = backend if backend is not None else Backend()
        self.app = EmulatorApp(self.backend)
        self.host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        if self._server is None:
            raise RuntimeError("the emulator server is not running")
        return self._server.port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Self:
        """Bind and serve in a daemon thread; the socket listens when this returns."""
        if self._server is not None:
            raise RuntimeError("the emulator server is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # Binding here rather than in make_server: werkzeug answers a bind error with
        # sys.exit(1), which is no way for a library to fail.
        listener = socket.create_server((self.host, self._requested_port), family=family)
        try:
            server = make_server(
                self.host,
                listener.getsockname()[1],
                self.app,
                threaded=True,
                request_handler=_QuietHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves from its own duplicate of the socket
        self._server = server
        # stop() waits for the serve loop's next poll; a short one keeps per-test teardown cheap.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"recall-emulator-{server.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; requests still in flight are abandoned."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        thread.join()
        server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
