"""The emulator served over HTTP/1.1 from a background thread, on loopback by default."""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Self

from .app import EmulatorApp
from .backend import Backend
from .gateway import KeepAliveServer


class EmulatorServer:
    """A threaded HTTP server running an EmulatorApp, usable as a context manager."""

    def __init__(
        self, backend: Backend | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.backend = backend if backend is not None else Backend()
        self.app = EmulatorApp(self.backend)
        self.host = host
        self._requested_port = port
        self._server: KeepAliveServer | None = None
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
        listener = socket.create_server((self.host, self._requested_port), family=family)
        server = KeepAliveServer(listener, self.app)
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
        server.close_connections()
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
