"""Is Zoom wired to an app? One verdict per app, from Recall's own data (no HTTP here).

Zoom validates an app's event notification URL when Validate is pressed and re-validates it
every 72 hours; Recall stamps ``webhook_last_validation`` each time it answers such a
validation, and logs what went wrong for the app in its app logs. The provider's own webhook
self-check is a validation too: one no later than the self-check that the stack recorded proves
Recall's side only, not that Zoom points at the URL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from recall_provider import zoom
from recall_provider.models import ZoomOAuthApp, ZoomOAuthAppLog, iso

__all__ = [
    "GRACE",
    "LOG_WINDOW",
    "SELF_CHECK_SLACK",
    "STALE_AFTER",
    "Status",
    "Verdict",
    "judge",
]

GRACE = timedelta(hours=6)
"""Beyond Zoom's 72 hours, for a re-validation that comes late."""
STALE_AFTER = zoom.REVALIDATION_INTERVAL + GRACE
LOG_WINDOW = timedelta(hours=24)
"""How far back an app's logs count against it."""
SELF_CHECK_SLACK = timedelta(minutes=2)
"""How long after a self-check Recall's stamp of it may come (clocks, a slow answer)."""
# An app's first validation this soon after it was made is, without the stack's record, most
# likely the provider's self-check: the data cannot tell the two apart.
_FIRST_MINUTES = timedelta(minutes=10)
_MESSAGE_CHARS = 160
_MESSAGES_SHOWN = 3


class Status(enum.Enum):
    """The verdicts, in the contract's words."""

    OK = "ok"
    UNVALIDATED = "unvalidated"
    STALE = "stale"
    ERRORS = "errors"


@dataclass(frozen=True)
class Verdict:
    """One app's verdict: its status, a one-line reason, and what to do about it."""

    app: ZoomOAuthApp
    status: Status
    reason: str
    action: str = ""
    logs: list[ZoomOAuthAppLog] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The contract's fields (and the action and latest log messages)."""
        return {
            "id": self.app.id,
            "client_id": self.app.client_id,
            "kind": self.app.kind,
            "status": self.status.value,
            "reason": self.reason,
            "action": self.action,
            "created_at": iso(self.app.created_at),
            "webhook_last_validation": iso(self.app.webhook_last_validation),
            "logs": [
                {"created_at": iso(entry.created_at), "message": entry.message}
                for entry in self.logs
            ],
        }


def judge(
    app: ZoomOAuthApp,
    logs: list[ZoomOAuthAppLog],
    now: datetime,
    self_check_at: datetime | None = None,
    *,
    webhook_url: str,
) -> Verdict:
    """The verdict on ``app`` at ``now``, given its log entries (any age; the last 24 hours
    count) and the time of the stack's last self-check, when the stack is known."""
    window = sorted(
        (e for e in logs if e.created_at is not None and now - e.created_at <= LOG_WINDOW),
        key=lambda e: e.created_at or now,
        reverse=True,
    )
    recent = window[:_MESSAGES_SHOWN]
    validated = app.webhook_last_validation
    urls = (
        f"in the Zoom app, set the event notification endpoint URL (development and production) "
        f"and the deauthorization URL to {webhook_url}, press Validate and save"
    )
    if validated is None:
        return Verdict(app, Status.UNVALIDATED, "Zoom has never validated the URL", urls, recent)
    # Times are compared by their difference, never by adding a window to one: a time at the
    # calendar's edge (year 9999, which a stack's output may hold) would overflow.
    if self_check_at is not None and validated - self_check_at <= SELF_CHECK_SLACK:
        return Verdict(
            app,
            Status.UNVALIDATED,
            f"the last validation ({iso(validated)}) is the provider's own self-check: Zoom "
            "has not validated the URL since",
            urls,
            recent,
        )
    # Without the stack's record, a validation minutes after the create may be the self-check.
    first = app.created_at is not None and validated - app.created_at <= _FIRST_MINUTES
    unknown = self_check_at is None and first
    age = now - validated
    if unknown and age <= STALE_AFTER:
        return Verdict(
            app,
            Status.UNVALIDATED,
            f"cannot tell: the only validation came {_ago(validated - (app.created_at or now))} "
            "after the app was made, when the provider's self-check runs, and the self-check's "
            "time is unknown here (no --stack, or a stack that does not export it)",
            f"check with --stack, or again after Zoom's next re-validation; else {urls}",
            recent,
        )
    if age > STALE_AFTER:
        why = (
            "perhaps only the provider's self-check, minutes after the app was made: Zoom may "
            "never have validated it, or it stopped"
            if unknown
            else f"Zoom re-validates every {_ago(zoom.REVALIDATION_INTERVAL)}, so it stopped"
        )
        return Verdict(
            app,
            Status.STALE,
            f"last validated {_ago(age)} ago, {why} (the URL changed in Zoom, the subscription "
            f"was disabled after {zoom.FAILED_VALIDATIONS_TO_DISABLE} failed validations, or "
            "the app was deactivated)",
            "in the Zoom app, re-enable the event subscription, check the URL is "
            f"{webhook_url}, press Validate and save",
            recent,
        )
    if recent:
        latest = recent[0]
        return Verdict(
            app,
            Status.ERRORS,
            f"{len(window)} log entr{'y' if len(window) == 1 else 'ies'} in the last "
            f"{_ago(LOG_WINDOW)}, the latest at {iso(latest.created_at)}: "
            f"{_short(latest.message)}",
            "read them with `logs --app-id` and fix what they name (a wrong Secret Token "
            "is the usual one: set recall-zoom:webhookSecret to the Zoom app's)",
            recent,
        )
    return Verdict(app, Status.OK, f"Zoom validated the URL {_ago(age)} ago; no recent errors")


def _short(message: str) -> str:
    one_line = " ".join(message.split())
    if len(one_line) <= _MESSAGE_CHARS:
        return one_line
    return one_line[: _MESSAGE_CHARS - 1] + "…"


def _ago(span: timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
