"""Hostile input for ``check()``: random types, unicode, whitespace, huge strings and nested
unknowns. ``check()`` never raises, names exactly the properties that are wrong (judged by an
oracle written from the documented rules, not from the provider's code), never echoes a
secret or a megabyte, and no request leaves for the emulator, directly or through the host."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from recall_provider.emulator import EmulatorServer
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.host_harness import PROVIDER_KEY, UNKNOWN, CheckFailed, Engine, ProviderHost

API_KEY = "hostile-api-key-0123456789abcdef"
KINDS = ("user_level", "account_level")
REQUIRED = ("client_id", "client_secret", "webhook_secret")
# kind is optional: user_level unless given (the resource always sends it).
INPUTS = ("kind", *REQUIRED, "adopt_app_id", "validate_webhook")
SECRET_FIELDS = ("client_secret", "webhook_secret")
LIMIT = 200  # Recall's documented limit on client_id and both secrets
MAX_REASON = 300
PICKLED = serialize_provider(RecallZoomOAuthAppProvider())
ALL_EXAMPLES = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# -- strategies ---------------------------------------------------------------------------
# ``unknown`` is what a preview-time unknown looks like on this side of the wire: Unknown()
# inside the provider process, the engine's sentinel string on the gRPC side.


def whitespace() -> st.SearchStrategy[str]:
    return st.text(alphabet=" \t\r\n\u00a0\u2003\u3000\ufeff\u200b\u2060", max_size=3)


# Printable text with nothing trimmable in it: what a Zoom id or secret can look like.
SOLID = st.characters(exclude_categories=("Zs", "Zl", "Zp", "Cc", "Cs", "Cf", "Co", "Cn"))


def solid_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=SOLID, min_size=min_size, max_size=max_size)


def padded(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(whitespace(), core, whitespace()).map("".join)


def scalars(floats: bool) -> st.SearchStrategy[Any]:
    numbers = st.floats(allow_nan=floats, allow_infinity=floats) if floats else st.integers()
    return st.none() | st.booleans() | numbers | st.text(max_size=20)


def nested(unknown: Any, floats: bool) -> st.SearchStrategy[Any]:
    leaves = scalars(floats) | st.just(unknown)
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=6,
    )


def huge() -> st.SearchStrategy[str]:
    return st.sampled_from([LIMIT - 1, LIMIT, LIMIT + 1, 10_000, 1_000_000]).flatmap(
        lambda n: st.sampled_from("sé😀 ").map(lambda ch: ch * n)
    )


def field_value(name: str, unknown: Any, floats: bool) -> st.SearchStrategy[Any]:
    hostile = nested(unknown, floats) | st.text() | huge() | whitespace() | st.just(unknown)
    plausible: st.SearchStrategy[Any]
    if name == "kind":
        plausible = padded(st.sampled_from([*KINDS, "USER_LEVEL", "account", "user-level"]))
    elif name == "adopt_app_id":
        plausible = padded(st.uuids().map(str)) | st.text(alphabet="0123456789abcdef-", max_size=40)
    elif name == "validate_webhook":
        plausible = st.booleans() | st.sampled_from(["true", "false", 0, 1])
    else:
        plausible = padded(st.text(min_size=1, max_size=40))
    return plausible | hostile


def valid_news(unknown: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Inputs that must pass: padded, any script, up to exactly the limit, some unknown."""

    def value(core: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
        return padded(core) | st.just(unknown)

    text = solid_text(1, 12) | solid_text(LIMIT, LIMIT)
    return st.fixed_dictionaries(
        {
            "kind": value(st.sampled_from(KINDS)),
            "client_id": value(text),
            "client_secret": value(text),
            "webhook_secret": value(text),
        },
        optional={
            "adopt_app_id": value(st.uuids().map(str)),
            "validate_webhook": st.booleans() | st.just(unknown),
        },
    )


def news_dicts(unknown: Any, floats: bool) -> st.SearchStrategy[dict[str, Any]]:
    return valid_news(unknown) | hostile_news(unknown, floats)


def hostile_news(unknown: Any, floats: bool) -> st.SearchStrategy[dict[str, Any]]:
    fields = st.fixed_dictionaries(
        {}, optional={name: field_value(name, unknown, floats) for name in INPUTS}
    )
    # The host drops top-level nulls before the provider sees them, so extras there are set.
    extra_values = nested(unknown, floats).filter(lambda v: v is not None)
    extras = st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda k: k not in INPUTS and k != PROVIDER_KEY),
        extra_values,
        max_size=2,
    )
    return st.tuples(fields, extras).map(lambda pair: {**pair[0], **pair[1]})


# -- the oracle: the rules as the README and the API reference state them -------------------


# The documented rule: surrounding whitespace, byte-order marks and zero-width spaces go.
TRIMMED = re.compile(r"^[\s\ufeff\u200b\u200c\u200d\u2060]+|[\s\ufeff\u200b\u200c\u200d\u2060]+$")


def trim(text: str) -> str:
    return TRIMMED.sub("", text)


def expected_failures(news: dict[str, Any], is_unknown: Any) -> set[str]:
    wrong = {key for key in news if key not in INPUTS and key != PROVIDER_KEY}
    for name in INPUTS:
        value = news.get(name)
        if is_unknown(value):
            continue  # judged by Recall once known
        if value is None:
            if name in REQUIRED:
                wrong.add(name)
        elif name == "validate_webhook":
            if not isinstance(value, bool):
                wrong.add(name)
        elif not isinstance(value, str):
            wrong.add(name)
        elif name == "kind":
            if trim(value) not in KINDS:
                wrong.add(name)
        elif name == "adopt_app_id":
            if not _is_uuid(trim(value)):
                wrong.add(name)
        elif not 1 <= len(trim(value)) <= LIMIT or has_hidden(trim(value)):
            wrong.add(name)
    return wrong


def has_hidden(text: str) -> bool:
    """Any control, format, private, unassigned or separator character (a space included)."""
    return any(unicodedata.category(ch)[0] in "CZ" for ch in text)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def assert_reasons_are_safe(news: dict[str, Any], failures: list[tuple[str, str]]) -> None:
    for prop, reason in failures:
        assert prop, "every failure names its property"
        assert reason.strip(), f"{prop}: an empty reason"
        assert len(reason) <= MAX_REASON, f"{prop}: a {len(reason)}-character reason"
        shown = news.get(prop)
        for name in SECRET_FIELDS:
            secret = news.get(name)
            if not isinstance(secret, str) or len(trim(secret)) < 4:
                continue
            if isinstance(shown, str) and trim(secret) in shown and len(trim(secret)) <= 16:
                continue  # the same short text is also the wrong value being reported
            assert trim(secret) not in reason, f"{prop}: the reason echoes {name}"


# -- in process ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider(module_emulator: EmulatorServer) -> RecallZoomOAuthAppProvider:
    # Configured against a live emulator, so that any request check() made would be seen.
    provider = RecallZoomOAuthAppProvider()
    config = {"recall:apiKey": API_KEY, "recall:apiUrl": module_emulator.url}
    provider.configure(ConfigureRequest(Config(config, "recall-zoom")))
    return provider


@ALL_EXAMPLES
@given(news=news_dicts(Unknown(), floats=True), olds=news_dicts(Unknown(), floats=True))
def test_check_judges_every_property_and_never_raises(
    provider: RecallZoomOAuthAppProvider,
    module_emulator: EmulatorServer,
    news: dict[str, Any],
    olds: dict[str, Any],
) -> None:
    module_emulator.app.clear_requests()
    result = provider.check(olds, news)
    failures = [(f.property, f.reason) for f in result.failures]
    names = [prop for prop, _ in failures]
    expected = expected_failures(news, lambda v: isinstance(v, Unknown))
    event("valid input" if not expected else "invalid input")
    assert set(names) == expected
    assert len(names) == len(set(names)), f"one failure per property: {names}"
    assert_reasons_are_safe(news, failures)
    assert module_emulator.app.count() == 0, "check() sends nothing"
    if not failures:
        for name in INPUTS:
            value = result.inputs.get(name)
            if isinstance(value, str):
                assert value == trim(str(news[name])), f"{name} is passed on trimmed"


# -- through the real host ----------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(news=news_dicts(UNKNOWN, floats=False))
def test_the_host_reports_the_same_failures_and_no_request_leaves(
    host: ProviderHost, module_emulator: EmulatorServer, news: dict[str, Any]
) -> None:
    module_emulator.app.clear_requests()
    expected = expected_failures(news, lambda v: v == UNKNOWN)
    event("valid input" if not expected else "invalid input")
    engine = Engine(host)
    props = {**news, PROVIDER_KEY: PICKLED}
    if expected:
        with pytest.raises(CheckFailed) as info:
            engine.preview("app", props)
        assert {prop for prop, _ in info.value.failures} == expected
        assert_reasons_are_safe(news, info.value.failures)
    else:
        assert engine.preview("app", props).op == "create"
    assert module_emulator.app.count() == 0, "preview sends nothing"
