"""DRF TokenAuthentication as Recall words it, plus the bare key Recall also takes.

Fidelity gap: an ``Authorization`` header with another scheme ("Bearer x") is refused as
"Invalid token.".
"""

from __future__ import annotations

from collections.abc import Set

from .errors import AuthenticationFailed


def authenticate(authorization: str | None, api_keys: Set[str] | None) -> str:
    """The API key of an ``Authorization`` header (one of ``api_keys`` unless None)."""
    parts = (authorization or "").split()
    if not parts:
        raise AuthenticationFailed("Authentication credentials were not provided.")
    if parts[0].lower() == "token":
        if len(parts) == 1:
            raise AuthenticationFailed("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            raise AuthenticationFailed(
                "Invalid token header. Token string should not contain spaces."
            )
        key = parts[1]
    elif len(parts) == 1:
        key = parts[0]  # Recall also takes the bare key
    else:
        raise AuthenticationFailed("Invalid token.")
    if api_keys is not None and key not in api_keys:
        raise AuthenticationFailed("Invalid token.")
    return key
