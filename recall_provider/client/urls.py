"""Where Recall lives: its regions, the base URL, and the paths of the API's resources."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from recall_provider.errors import REDACTED, ErrorCode, Outcome, RecallConfigError
from recall_provider.models import canonical_app_id, echoed

__all__ = [
    "APPS_PATH",
    "APP_ID_HINT",
    "APP_LOGS_PATH",
    "DEFAULT_REGION",
    "REGION_URLS",
    "app_path",
    "check_webhook_url",
    "is_loopback",
    "page_path",
    "resolve_base_url",
    "shown_url",
    "webhook_url",
]

DEFAULT_REGION = "us-east-1"
REGION_URLS: dict[str, str] = {
    region: f"https://{region}.recall.ai"
    for region in ("us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1")
}
APPS_PATH = "/api/v2/zoom-oauth-apps/"
APP_ID_HINT = (
    "Give the app's id as Recall's dashboard or API shows it (a UUID; a stack's output "
    "zoom_oauth_app_id is one)."
)
"""What to do about an app id that is not one, wherever it was given."""
APP_LOGS_PATH = "/api/v2/zoom-oauth-app-logs/"


def resolve_base_url(
    region: str | None = None, api_url: str | None = None, *, setting: str = "the Recall API URL"
) -> str:
    """The API base URL: ``api_url`` when given, else the region's (default us-east-1).

    ``setting`` names where ``api_url`` came from (``recall:apiUrl``, ``RECALL_API_URL``, an
    option), for the ``RecallConfigError`` that says why it cannot be used.
    """
    if api_url:
        return _base_url(api_url.strip(), setting)
    name = (region or DEFAULT_REGION).strip()
    if name not in REGION_URLS:
        raise RecallConfigError(
            f"unknown Recall region {echoed(name)}; use one of {', '.join(REGION_URLS)}",
            code=ErrorCode.BAD_REGION,
        )
    return REGION_URLS[name]


# The host and port of a URL's authority, as requests and urllib3 can connect to them: a name,
# an IPv4 address or a bracketed IPv6 address (with a zone, percent-encoded), then ASCII digits.
_HOST_PORT = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]+(?:%25[^\]]+)?\]|[^\[\]:]+)(?::(?P<port>[0-9]+))?"
)
_MAX_SHOWN = 120
# Where a path of Recall's API starts (/api, /api/v1/, /api/v2/zoom-oauth-apps/): a base URL
# ends before it, the provider adding the API's paths itself. A proxy's own prefix stays.
_API_PATH = re.compile(r"/api(?:/|$)", re.IGNORECASE)


def shown_url(text: str) -> str:
    """``text``, a URL a user gave, as an error may quote it: without what may be a credential
    (everything between ``//`` and the last ``@``, the query, the fragment), at most 120
    characters, in quotes and with its control characters escaped; whether or not it parses."""
    scheme, slashes, rest = text.partition("//")
    if not slashes or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:", scheme):
        scheme, slashes, rest = "", "", text
    if "@" in rest:
        # Through the last @ of all: a password may hold "/", "?", "#", "@" or ":" itself.
        rest = f"{REDACTED}@{rest.rpartition('@')[2]}"
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    rest, tail = rest[:cut], rest[cut:]
    shown = f"{scheme}{slashes}{rest}{tail[:1]}{REDACTED if tail else ''}"
    return repr(shown if len(shown) <= _MAX_SHOWN else shown[: _MAX_SHOWN - 1] + "…")


def _base_url(text: str, setting: str, *, shown: str | None = None) -> str:
    """``text`` as a base URL, or a RecallConfigError naming ``setting`` (and quoting ``shown``,
    by default ``text`` itself) that never shows a credential ``text`` may hold: every URL the
    user gives goes through here, so none fails later in the URL parser, or in urllib3 when it
    connects."""
    shown = shown or shown_url(text)
    like = "give one like https://us-east-1.recall.ai"
    if not text.isprintable() or any(c.isspace() for c in text):
        raise RecallConfigError(
            f"{setting} {shown} has spaces or control characters; {like}", code=ErrorCode.BAD_URL
        )
    try:
        parts = urlsplit(text)
    except ValueError:  # a bracket left open, or one around what is not an address
        raise RecallConfigError(
            f"{setting} {shown} does not parse as a URL; {like}", code=ErrorCode.BAD_URL
        ) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RecallConfigError(
            f"{setting} {shown} is not an http(s) URL; {like}", code=ErrorCode.BAD_URL
        )
    if parts.query or parts.fragment:
        raise RecallConfigError(
            # shown_url leaves the query out: it may hold a token.
            f"{setting} {shown} must not have a query string or fragment",
            code=ErrorCode.BAD_URL,
        )
    if "@" in parts.netloc:
        raise RecallConfigError(
            f"{setting} {shown} must not carry a user name or password; "
            "the API key authenticates (recall:apiKey)",
            code=ErrorCode.BAD_URL,
        )
    host = _host(parts.netloc)
    if host is None:
        raise RecallConfigError(
            f"{setting} {shown} has a host or port that does not parse (a host name, an IP "
            f"address or a bracketed IPv6 address, then a port from 1 to 65535); {like}",
            code=ErrorCode.BAD_URL,
        )
    if parts.scheme == "http" and not is_loopback(host.lower()):
        raise RecallConfigError(
            f"{setting} {shown} uses plain http to a remote host, which would send the API "
            "key in clear text; use https (plain http is allowed only on loopback)",
            code=ErrorCode.BAD_URL,
        )
    if parts.path.strip("/"):
        # Pasted from Recall's docs (https://us-east-1.recall.ai/api/v1/) or a proxy's prefix:
        # every request would go to <base><path>/api/v2/..., which Recall answers 404, as if no
        # app existed. The base URL is scheme, host and port; the provider adds the rest.
        base = f"{parts.scheme}://{parts.netloc}"
        api = _API_PATH.search(parts.path)
        what = "a path of Recall's API" if api is not None else "a path"
        raise RecallConfigError(
            f"{setting} {shown} has {what} ({parts.path}): give the base URL alone, "
            f"{shown_url(base)} (the provider adds {APPS_PATH} itself; a proxy must serve "
            "Recall's API at its root)",
            code=ErrorCode.BAD_URL,
        )
    return f"{parts.scheme}://{parts.netloc}"


def _host(netloc: str) -> str | None:
    """The host of ``netloc`` (brackets and zone removed), or None when the host or port is
    not one a connection can be made to."""
    match = _HOST_PORT.fullmatch(netloc)
    if match is None or (match["port"] is not None and not 0 < int(match["port"]) <= 65535):
        return None
    host = match["host"]
    if host.startswith("["):
        address = host[1:-1].partition("%25")[0]
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return None
        return address
    try:
        # What urllib3 does before it connects: an empty or overlong label fails there.
        host.encode("idna")
    except UnicodeError:
        return None
    return host


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
    # ("", ".") or another endpoint (".."), whoever gave the id: a command line, a program, a
    # state. The client cannot tell which, so the hint names none (the core says "state").
    canonical = canonical_app_id(app_id) if isinstance(app_id, str) else None
    if canonical is None:
        raise RecallConfigError(
            f"expected a Recall app id (a UUID), got {echoed(str(app_id))}",
            hint=APP_ID_HINT,
            code=ErrorCode.BAD_ID,
            outcome=Outcome.NOT_SENT,
        )
    return f"{APPS_PATH}{canonical}/"


def webhook_url(base_url: str, app_id: str) -> str:
    """The app's Zoom webhook URL: ``<base>/api/v2/zoom-oauth-apps/<id>/webhook`` (no slash)."""
    return f"{base_url.rstrip('/')}{app_path(app_id)}webhook"


def check_webhook_url(url: str, setting: str = "the webhook URL") -> str:
    """``url`` as an app's Recall webhook URL (``webhook_url``'s form, its id in Recall's
    spelling); RecallConfigError naming ``setting`` and what is wrong when it is not one."""
    text = url.strip()
    base, sep, rest = text.partition(APPS_PATH)
    app_id, slash, tail = rest.partition("/")
    if not sep or not slash or tail != "webhook" or canonical_app_id(app_id) is None:
        raise RecallConfigError(
            f"{setting} {shown_url(text)} is not a Recall webhook URL: it ends in "
            f"{APPS_PATH}<app id>/webhook, e.g. https://us-east-1.recall.ai{APPS_PATH}"
            "<app id>/webhook (the stack output webhook_url)",
            code=ErrorCode.BAD_WEBHOOK_URL,
        )
    return webhook_url(_base_url(base, setting, shown=shown_url(text)), app_id)


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
