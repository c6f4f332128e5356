"""Recall's documented limits are declared once, in ``recall_provider.limits``: the client's
pacing and retries, the emulator's throttle and validation, the models, the settings and the
messages all take theirs from there, so none can drift from the others."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from recall_provider.client import Pacing, RetryPolicy
from recall_provider.emulator import RateLimits
from recall_provider.emulator.errors import EmulatorError
from recall_provider.emulator.errors import ValidationError as EmulatorValidationError
from recall_provider.emulator.throttle import Throttle
from recall_provider.emulator.validation import CREATE_FIELDS, validate
from recall_provider.errors import RecallRateLimitError
from recall_provider.limits import (
    LIST_REQUESTS_PER_MINUTE,
    MAX_FIELD_LENGTH,
    MINUTE,
    RATE_LIMIT_DEADLINE,
    REQUESTS_PER_MINUTE,
)
from recall_provider.models import ZoomOAuthAppCreate
from recall_provider.settings import Settings


def test_the_client_paces_and_waits_by_recalls_limits() -> None:
    pacing = Pacing()
    assert (pacing.per_minute, pacing.list_per_minute, pacing.period) == (
        REQUESTS_PER_MINUTE,
        LIST_REQUESTS_PER_MINUTE,
        MINUTE,
    )
    assert pacing.limit("crud") == REQUESTS_PER_MINUTE
    assert pacing.limit("list") == LIST_REQUESTS_PER_MINUTE
    assert RetryPolicy().rate_limit_deadline == RATE_LIMIT_DEADLINE


def test_the_emulator_throttles_at_recalls_limits() -> None:
    limits = RateLimits()
    assert (limits.per_minute, limits.list_per_minute, limits.window) == (
        REQUESTS_PER_MINUTE,
        LIST_REQUESTS_PER_MINUTE,
        MINUTE,
    )
    throttle = Throttle(limits)
    for scope, limit in (("default", REQUESTS_PER_MINUTE), ("list", LIST_REQUESTS_PER_MINUTE)):
        for _ in range(limit):
            throttle.take("key", scope)  # an empty window takes the whole limit at once
        with pytest.raises(EmulatorError) as refused:
            throttle.take("key", scope)
        assert refused.value.status == 429


def test_a_stack_told_recalls_limit_paces_lists_at_recalls_list_limit() -> None:
    config = {"recall:requestsPerMinute": str(REQUESTS_PER_MINUTE)}
    pacing = Settings.read(config.get, env={}).pacing
    assert (pacing.per_minute, pacing.list_per_minute) == (
        REQUESTS_PER_MINUTE,
        LIST_REQUESTS_PER_MINUTE,
    )


def fields(length: int) -> dict[str, str]:
    """A create's body whose Zoom fields are ``length`` characters long."""
    return {"kind": "user_level", "client_id": "x" * length} | {
        "client_secret": "s" * length,
        "webhook_secret": "w" * length,
    }


def test_the_models_and_the_emulator_take_the_longest_field() -> None:
    ZoomOAuthAppCreate.model_validate(fields(MAX_FIELD_LENGTH))
    validate(fields(MAX_FIELD_LENGTH), CREATE_FIELDS, partial=False)


def test_the_models_and_the_emulator_refuse_one_character_more() -> None:
    with pytest.raises(ValidationError, match=f"at most {MAX_FIELD_LENGTH}"):
        ZoomOAuthAppCreate.model_validate(fields(MAX_FIELD_LENGTH + 1))
    with pytest.raises(EmulatorValidationError) as refused:
        validate(fields(MAX_FIELD_LENGTH + 1), CREATE_FIELDS, partial=False)
    assert f"no more than {MAX_FIELD_LENGTH} characters" in str(refused.value.body)


def test_the_rate_limit_error_names_recalls_limits() -> None:
    hint = RecallRateLimitError.hint
    assert f"{REQUESTS_PER_MINUTE} requests/min per workspace" in hint
    assert f"{LIST_REQUESTS_PER_MINUTE}/min for lists" in hint


def test_the_benchmarks_help_says_recalls_minute_and_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The benchmarks' imports (the provider host's harness), only here.
    from bench.__main__ import _parse

    monkeypatch.setenv("COLUMNS", "400")  # one line per option, so each phrase stays whole
    for argv, phrase in [
        (["--help"], f"a Recall minute lasts {MINUTE:g}/S s"),
        (["--scale", "0"], f"--scale must make {REQUESTS_PER_MINUTE}*S at least 5"),
    ]:
        monkeypatch.setattr("sys.argv", ["bench", *argv])
        with pytest.raises(SystemExit):
            _parse()
        output = capsys.readouterr()
        assert phrase in output.out + output.err
