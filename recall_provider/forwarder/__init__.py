"""Forward Zoom's webhooks, unchanged, from your own endpoint to the app's Recall webhook URL.

For setups where your server must see Zoom's webhooks too (Recall's guide: put your endpoint in
Zoom, forward every webhook to Recall with ``x-zm-request-timestamp`` and ``x-zm-signature``,
never modify the body). Recall's answer is relayed, so Zoom's URL validation passes through
within its 3 seconds.

    ZOOM_WEBHOOK_SECRET=... python -m recall_provider.forwarder --port 8080 --target URL

Served by waitress, with connection limits and timeouts for a public endpoint. With
``ZOOM_WEBHOOK_SECRET`` set, the signature, the timestamp and that the signature was not seen
before (against replay) are checked before anything is forwarded, and a ``--hook
module:function`` receives each verified event.
"""

from recall_provider.forwarder.app import Forwarder, ZoomEvent, load_hook
from recall_provider.forwarder.replay import SeenSignatures

__all__ = ["Forwarder", "SeenSignatures", "ZoomEvent", "load_hook"]
