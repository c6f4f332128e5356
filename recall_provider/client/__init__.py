"""Typed HTTP client of Recall's zoom-oauth-apps API.

HTTP only (URLs, auth, timeouts, retries, pacing, typed errors); it knows nothing of Pulumi.
``api`` holds the operations, ``transport`` the sessions, ``failures`` the mapping of failed
answers to errors, ``retry`` and ``pacing`` their rules, ``urls`` the regions and paths.
"""

from recall_provider.client.api import RecallClient
from recall_provider.client.pacing import Pacing, TokenBucket, shared_bucket
from recall_provider.client.retry import RecallRetry, RetryPolicy, backoff_delay
from recall_provider.client.transport import Timeout
from recall_provider.client.urls import (
    DEFAULT_REGION,
    REGION_URLS,
    check_webhook_url,
    resolve_base_url,
    webhook_url,
)

__all__ = [
    "DEFAULT_REGION",
    "REGION_URLS",
    "Pacing",
    "RecallClient",
    "RecallRetry",
    "RetryPolicy",
    "Timeout",
    "TokenBucket",
    "backoff_delay",
    "check_webhook_url",
    "resolve_base_url",
    "shared_bucket",
    "webhook_url",
]
