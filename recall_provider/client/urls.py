"""Where Recall lives: its regions, the base URL, and the paths of the API's resources."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from recall_provider.errors import Outcome, RecallConfigError
from recall_provider.models import canonical_app_id, echoed

__all__ = [
    "APPS_PATH",
    "APP_LOGS_PATH",
    "DEFAULT_REGION",
    "REGION_URLS",
    "app_path",
    "check_webhook_url",
    "is_loopback",
    "page_path",
    "resolve_base_url",
    "webhook_url",
]

DEFAULT_REGION = "us-east-1"
REGION_URLS: dict[str, str] = {
    region: f"https://{region}.recall.ai"
    for region in ("us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1")
}
APPS_PATH = "/api/v2/zoom-oauth-apps/"
APP_LOGS_PATH = "/api/v2/zoom-oauth-app-logs/"


def resolve_base_url(region: str | None = None, api_url: str | None = None) -> str:
    """The API base URL: ``api_url`` when given, else the region's (default us-east-1)."""
    if api_url:
        parts = urlsplit(api_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RecallConfigError(
                f"Recall API URL {api_url!r} is not an http(s) URL; "
                "give one like https://us-east-1.recall.ai"
            )
        if parts.query or parts.fragment:
            raise RecallConfigError(
                # The query is not shown: it may hold a token.
                f"Recall API URL {api_url.split('?', 1)[0]!r} must not have a query string"
            )
        if parts.username or parts.password:
            raise RecallConfigError(
                "the Recall API URL must not carry a user name or password; "
                "the API key authenticates (recall:apiKey)"
            )
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise RecallConfigError(
                f"Recall API URL {api_url!r} uses plain http to a remote host, which would send "
                "the API key in clear text; use https (plain http is allowed only on loopback)"
            )
        return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
    name = (region or DEFAULT_REGION).strip()
    if name not in REGION_URLS:
        raise RecallConfigError(
            f"unknown Recall region {echoed(name)}; use one of {', '.join(REGION_URLS)}"
        )
    return REGION_URLS[name]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (where plain http cannot be overheard)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_path(app_id: str) -> str:
    """The path of one app: ``/api/v2/zoom-oauth-apps/<id>/``, for a Recall app id only."""
    # Anything else could turn "DELETE /apps/<id>/" into a request against the collection
    # ("", ".") or another endpoint (".."): a corrupt state must not get that far.
    canonical = canonical_app_id(app_id) if isinstance(app_id, str) else None
    if canonical is None:
        raise RecallConfigError(
            f"expected a Recall app id (a UUID), got {str(app_id)[:60]!r}",
            hint="Recall's app ids are UUIDs; the id in a stack's state is the one Recall "
            "returned, so a different one means the state was edited or is corrupt.",
            outcome=Outcome.NOT_SENT,
        )
    return f"{APPS_PATH}{canonical}/"


def webhook_url(base_url: str, app_id: str) -> str:
    """The app's Zoom webhook URL: ``<base>/api/v2/zoom-oauth-apps/<id>/webhook`` (no slash)."""
    return f"{base_url.rstrip('/')}{app_path(app_id)}webhook"


def check_webhook_url(url: str) -> str:
    """``url`` as an app's Recall webhook URL (``webhook_url``'s form, its id in Recall's
    spelling); RecallConfigError naming what is wrong when it is not one."""
    text = url.strip()
    base, sep, rest = text.partition(APPS_PATH)
    app_id, slash, tail = rest.partition("/")
    if not sep or not slash or tail != "webhook" or canonical_app_id(app_id) is None:
        raise RecallConfigError(
            f"{text[:120]!r} is not a Recall webhook URL: it ends in "
            f"{APPS_PATH}<app id>/webhook, e.g. https://us-east-1.recall.ai{APPS_PATH}"
            "<app id>/webhook (the stack output webhook_url)"
        )
    try:
        return webhook_url(resolve_base_url(api_url=base), app_id)
    except RecallConfigError as exc:
        raise RecallConfigError(f"not a Recall webhook URL: {exc}") from None


def page_path(link: str, endpoint: str) -> str | None:
    """The path and cursor of a ``next`` link to ``endpoint``; None when it points elsewhere.

    Only the path is followed, never the link's host: the API key must not go anywhere but the
    client's own base URL.
    """
    parts = urlsplit(link)
    start = parts.path.rfind(endpoint)
    if start < 0:
        return None
    return parts.path[start:] + (f"?{parts.query}" if parts.query else "")
