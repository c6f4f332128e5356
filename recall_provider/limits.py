"""Recall's documented limits, declared once: the client paces by them, the emulator enforces
them, and every message or help text that names one is formatted from here.

Where Recall says them (gathered in ../shared/reference/recall-zoom-api.md): section 2.9, the
per-workspace rate limits of the zoom-oauth-apps reference pages, whose spec gives each as
``"x-throttles": [{"scope_key": "workspace_id", "limit": N, "period": "min"}]``; section 2.1,
the ``maxLength`` of ``client_id``, ``client_secret`` and ``webhook_secret``. Beside them
stands one budget of ours that is not Recall's, ``RATE_LIMIT_DEADLINE``.

A leaf: it imports nothing of the project, so the emulator may share it.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "LIST_REQUESTS_PER_MINUTE",
    "MAX_FIELD_LENGTH",
    "MINUTE",
    "RATE_LIMIT_DEADLINE",
    "REQUESTS_PER_MINUTE",
]

REQUESTS_PER_MINUTE: Final = 300
"""Recall's limit per workspace for creating, retrieving, updating and deleting apps."""
LIST_REQUESTS_PER_MINUTE: Final = 60
"""Recall's limit per workspace for listing apps and app logs."""
MINUTE: Final = 60.0
"""Seconds of the "min" period that Recall's rate limits count in."""
RATE_LIMIT_DEADLINE: Final = 300.0
"""Ours: seconds a request keeps waiting out 429s before it fails with RecallRateLimitError."""
MAX_FIELD_LENGTH: Final = 200
"""Recall's most characters in ``client_id``, ``client_secret`` and ``webhook_secret``."""
