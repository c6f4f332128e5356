"""The forwarder's endpoint: its path and the largest body it takes (no dependencies, so that
the command's --help runs where the server is not installed)."""

from __future__ import annotations

__all__ = ["MAX_BODY", "PATH"]

PATH = "/zoom/webhook"
MAX_BODY = 1024 * 1024
