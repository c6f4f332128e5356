"""Pulumi dynamic provider, typed client and local emulator for Recall.ai Zoom OAuth apps.

The resource is imported lazily so that ``python -m recall_provider.emulator`` and the client
do not pay for importing Pulumi.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recall_provider.resource import RecallZoomOAuthApp, RecallZoomOAuthAppArgs

__all__ = ["RecallZoomOAuthApp", "RecallZoomOAuthAppArgs"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from recall_provider import resource  # noqa: PLC0415 - deferred on purpose

        return getattr(resource, name)
    raise AttributeError(f"module 'recall_provider' has no attribute {name!r}")
