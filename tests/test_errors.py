"""The outcome rule (what a failed request may have done) as a decision table, on the wire for
every kind of failure, and errors that compose their message when shown."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from recall_provider.client import RecallClient, RetryPolicy
from recall_provider.emulator import EmulatorServer, Fault
from recall_provider.errors import (
    Outcome,
    RecallAPIError,
    RecallConfigError,
    RecallError,
    RecallNotFoundError,
    RecallValidationError,
    outcome_of_status,
)
from recall_provider.models import ZoomOAuthAppCreate
from tests.helpers import APPS
from tests.scripted_server import Reply, ScriptedServer

API_KEY = "errors-api-key-0123456789"
SECRET = "errors-client-secret-0123456789"
ONCE = RetryPolicy(max_retries=0, rate_limit_deadline=0)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        *((status, Outcome.REFUSED) for status in (400, 401, 403, 404, 405, 409, 429, 499)),
        (500, Outcome.FAILED),
        (503, Outcome.FAILED),
        *((status, Outcome.UNKNOWN) for status in (501, 502, 504, 507, 200, 201, 302)),
    ],
)
def test_outcome_of_a_status(status: int, outcome: Outcome) -> None:
    assert outcome_of_status(status) is outcome


@pytest.mark.parametrize(
    ("outcome", "may_have_acted", "is_over"),
    [
        (Outcome.NOT_SENT, False, True),
        (Outcome.REFUSED, False, True),
        (Outcome.FAILED, True, True),
        (Outcome.UNKNOWN, True, False),
    ],
)
def test_what_each_outcome_allows(outcome: Outcome, may_have_acted: bool, is_over: bool) -> None:
    assert outcome.may_have_acted is may_have_acted
    assert outcome.is_over is is_over


def new_app() -> ZoomOAuthAppCreate:
    return ZoomOAuthAppCreate.model_validate(
        {"kind": "user_level", "client_id": "c", "client_secret": SECRET, "webhook_secret": SECRET}
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        (Fault(status=400), Outcome.REFUSED),
        (Fault(status=429), Outcome.REFUSED),
        (Fault(status=500), Outcome.FAILED),
        (Fault(status=503), Outcome.FAILED),
        (Fault(status=502), Outcome.UNKNOWN),
        (Fault(status=504), Outcome.UNKNOWN),
        (Fault(drop=True), Outcome.UNKNOWN),
        (Fault(drop=True, after_processing=True), Outcome.UNKNOWN),
    ],
    ids=["400", "429", "500", "503", "502", "504", "drop", "drop-after"],
)
def test_every_failed_create_carries_its_outcome(
    fresh_emulator: EmulatorServer, fault: Fault, outcome: Outcome
) -> None:
    fresh_emulator.app.add_fault(
        Fault(method="POST", path=APPS, status=fault.status, drop=fault.drop, times=10,
              after_processing=fault.after_processing)
    )  # fmt: skip
    with (
        RecallClient(API_KEY, base_url=fresh_emulator.url, retry=ONCE) as client,
        pytest.raises(RecallError) as info,
    ):
        client.create_app(new_app())
    assert info.value.outcome is outcome


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (Reply(201, b"<html>a proxy's page</html>"), Outcome.UNKNOWN),
        (Reply(201, {"id": 5}), Outcome.UNKNOWN),
        (Reply(302, b"", {"Location": "https://elsewhere.example/"}), Outcome.UNKNOWN),
    ],
    ids=["not-json", "not-an-app", "redirect"],
)
def test_an_answer_that_is_not_recalls_api_is_unknown(reply: Reply, outcome: Outcome) -> None:
    with (
        ScriptedServer(reply) as server,
        RecallClient(API_KEY, base_url=server.url) as client,
        pytest.raises(RecallAPIError) as info,
    ):
        client.create_app(new_app())
    assert info.value.outcome is outcome


def test_a_request_that_was_never_sent() -> None:
    client = RecallClient(API_KEY, base_url=f"http://127.0.0.1:{_closed_port()}", retry=ONCE)
    with pytest.raises(RecallError) as info:
        client.create_app(new_app())
    assert info.value.outcome is Outcome.NOT_SENT
    with pytest.raises(RecallConfigError) as config:
        client.get_app(" ")
    assert config.value.outcome is Outcome.NOT_SENT, "refused before anything was sent"


def not_found() -> RecallNotFoundError:
    return RecallNotFoundError(
        operation="retrieve Zoom OAuth app x",
        method="GET",
        path="/api/v2/zoom-oauth-apps/x/",
        status=404,
        request_id="req-1",
        detail="Not found.",
    )


def test_an_error_composes_its_message_and_its_hint_can_be_replaced() -> None:
    error = not_found()
    assert str(error) == (
        "retrieve Zoom OAuth app x failed: GET /api/v2/zoom-oauth-apps/x/ returned HTTP 404, "
        f"request id req-1: Not found. {RecallNotFoundError.hint}"
    )
    assert error.with_hint("Run `pulumi refresh`.") is error
    assert str(error).endswith("Not found. Run `pulumi refresh`.")
    assert not_found().hint == RecallNotFoundError.hint, "the class's hint is untouched"


@pytest.mark.parametrize(
    "make",
    [
        not_found,
        lambda: RecallValidationError(
            operation="create Zoom OAuth app",
            method="POST",
            path="/api/v2/zoom-oauth-apps/",
            status=400,
            request_id=None,
            detail=f"client_secret: {SECRET} is weak",
        ),
        lambda: RecallError(f"something about {SECRET}"),
    ],
)
def test_repr_holds_no_text(make: Callable[[], RecallError]) -> None:
    error = make()
    assert SECRET not in repr(error)
    assert "Not found" not in repr(error)
    assert repr(error).startswith(type(error).__name__ + "(")
