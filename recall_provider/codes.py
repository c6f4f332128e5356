"""The stable codes of the errors: one per kind of failure, with what it means.

Declared once here; the errors carry them (``RecallError.code``), the provider host shows them,
the docs' table of error codes is theirs (docs/guides/troubleshooting.md), and tests assert
them instead of wording.
"""

from __future__ import annotations

import enum

__all__ = ["ErrorCode"]


class ErrorCode(enum.StrEnum):
    """The stable, machine-readable name of what went wrong: what tests, scripts and the docs'
    troubleshooting table go by, whatever the wording of the message."""

    description: str
    """What the code means, for the docs."""

    def __new__(cls, value: str, description: str) -> ErrorCode:
        """A member whose value is ``value``, described by ``description``."""
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    ERROR = "error", "Something the client could not do, of no more particular kind."
    CONFIG = "config", "A setting or input that cannot be used."
    API_KEY_MISSING = "api_key_missing", "No Recall API key is set (or it is blank)."
    API_KEY_MALFORMED = (
        "api_key_malformed",
        "The API key has spaces, line breaks or non-ASCII characters (a bad paste).",
    )
    BAD_REGION = "bad_region", "`recall:region` (or `RECALL_REGION`) names no Recall region."
    BAD_URL = (
        "bad_url",
        "An API URL (`recall:apiUrl`, `RECALL_API_URL`, `--api-url`) that cannot be used.",
    )
    BAD_WEBHOOK_URL = "bad_webhook_url", "A URL given as an app's webhook URL that is not one."
    BAD_SETTING = (
        "bad_setting",
        "A `recall:*` setting (or its `RECALL_*` variable) whose value cannot be used.",
    )
    UNKNOWN_SETTING = (
        "unknown_setting",
        "A `recall:*` key (or an explicit provider's argument) that names no setting: a "
        "misspelling, said with the closest setting.",
    )
    BAD_ID = "bad_id", "An app id that is not one of Recall's (a UUID)."
    ADOPT_NOT_FOUND = "adopt_not_found", "`adopt_app_id` names an app Recall does not have (here)."
    ADOPT_MISMATCH = (
        "adopt_mismatch",
        "The app to adopt or take over has another kind or client id.",
    )
    REPLACE_OF_ADOPTED = (
        "replace_of_adopted",
        "A replace would delete the very app its replacement adopts.",
    )
    IMPORT_NOT_FOUND = "import_not_found", "The id to import names no app Recall has (here)."
    GONE = "gone", "The app to update no longer exists in Recall."
    APP_EXISTS = (
        "app_exists",
        "Recall already has an app for the create's Zoom client id that the create cannot "
        "prove it made.",
    )
    APP_OF_ANOTHER_OWNER = (
        "app_of_another_owner",
        "The app an interrupted create made is another stack's (or resource's).",
    )
    CREATE_UNCONFIRMED = (
        "create_unconfirmed",
        "A create whose POST may have made the app, which no listing shows yet.",
    )
    WEBHOOK_CHECK_FAILED = (
        "webhook_check_failed",
        "The webhook URL answered Zoom's URL validation wrongly.",
    )
    WEBHOOK_UNANSWERED = (
        "webhook_unanswered",
        "The webhook URL gave no answer to Zoom's URL validation.",
    )
    API_ERROR = "api_error", "Recall answered with an unexpected error status."
    UNAUTHORIZED = "unauthorized", "Recall refused the API key (401 or 403)."
    SIGNATURE_REFUSED = (
        "signature_refused",
        "Recall refused a webhook's signature: it was not signed with the app's webhook secret.",
    )
    NOT_FOUND = "not_found", "Recall has no such object (404)."
    INVALID_REQUEST = "invalid_request", "Recall refused the request's fields (400)."
    RATE_LIMITED = "rate_limited", "429s outlasted the time a request waits them out."
    PACED_OUT = (
        "paced_out",
        "Not sent: this machine's window of the workspace would hold it too long.",
    )
    SERVER_ERROR = "server_error", "Recall could not serve the request (5xx) after every retry."
    BAD_RESPONSE = "bad_response", "An answer that is not Recall's documented API."
    CONNECTION_FAILED = "connection_failed", "The HTTP exchange did not complete."
    TIMEOUT = "timeout", "No answer within the timeout."
