"""Forward Zoom's webhooks, unchanged, from your own endpoint to the app's Recall webhook URL.

For setups where your server must see Zoom's webhooks too (Recall's guide: put your endpoint in
Zoom, forward every webhook to Recall with ``x-zm-request-timestamp`` and ``x-zm-signature``,
never modify the body). Recall's answer is relayed, so Zoom's URL validation passes through
within its 3 seconds.

    ZOOM_WEBHOOK_SECRET=... python -m recall_provider.forwarder --port 8080 --target URL

Served by waitress, with connection limits and timeouts for a public endpoint. With
``ZOOM_WEBHOOK_SECRET`` set, the signature, the timestamp and that the signature was not seen
before (against replay) are checked before anything is forwarded, and a ``--hook
module:function`` receives each verified event from a bounded queue (what does not fit is dropped
and counted in the log). SIGTERM or SIGINT stops it within a grace; the exit status says whether
every verified event went through the hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recall_provider.forwarder.app import Forwarder, ZoomEvent, load_hook
    from recall_provider.forwarder.replay import SeenSignatures

__all__ = ["Forwarder", "SeenSignatures", "ZoomEvent", "load_hook"]


def __getattr__(name: str) -> Any:
    # Deferred: the command's --help must run where werkzeug (the forwarder extra) is missing.
    if name == "SeenSignatures":
        from recall_provider.forwarder import replay  # noqa: PLC0415

        return replay.SeenSignatures
    if name in __all__:
        from recall_provider.forwarder import app  # noqa: PLC0415

        return getattr(app, name)
    raise AttributeError(f"module 'recall_provider.forwarder' has no attribute {name!r}")
