"""The provider's settings as one parse: config over the environment, where Recall lives, and
the typed values (base URL, timeouts, pacing) the provider and the commands both use."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from recall_provider.client import REGION_URLS
from recall_provider.errors import ErrorCode, RecallConfigError
from recall_provider.provider import RecallZoomOAuthAppProvider
from recall_provider.settings import ENVIRONMENT, Settings


@pytest.fixture(autouse=True)
def _no_settings_in_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT.values():
        monkeypatch.delenv(name, raising=False)


def read(config: dict[str, Any]) -> Settings:
    # The provider reads the stack's config through the engine's ConfigureRequest.
    return Settings.read(Config(config, "recall-zoom").get)


def test_config_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECALL_API_KEY", "env-key")
    monkeypatch.setenv("RECALL_REGION", "eu-central-1")
    monkeypatch.setenv("RECALL_API_URL", "")
    settings = read({"recall:apiKey": "config-key", "recall:region": "us-west-2"})
    assert (settings.api_key, settings.base_url) == ("config-key", "https://us-west-2.recall.ai")
    settings = read({"recall:apiKey": "config-key"})
    assert settings.base_url == "https://eu-central-1.recall.ai"
    assert read({}).api_key == "env-key"
    settings = read({"recall:apiKey": "k", "recall:apiUrl": "http://127.0.0.1:9"})
    assert settings.base_url == "http://127.0.0.1:9", "apiUrl wins over region"


def test_an_explicit_region_is_never_redirected_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECALL_API_URL", "http://127.0.0.1:18111")
    assert read({"recall:region": "eu-central-1"}).base_url == "https://eu-central-1.recall.ai"
    assert read({}).base_url == "http://127.0.0.1:18111"


def test_the_default_region() -> None:
    assert read({}).base_url == "https://us-east-1.recall.ai"
    assert read({}).api_key is None


@pytest.mark.parametrize(("value", "read_s"), [(None, 30.0), ("2.5", 2.5), ("600", 600.0)])
def test_request_timeout(value: str | None, read_s: float) -> None:
    config = {"recall:requestTimeout": value} if value else {}
    timeout = read(config).timeout
    assert timeout.read == read_s
    assert timeout.connect == min(5.0, read_s)


def test_request_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECALL_REQUEST_TIMEOUT", "7")
    assert read({}).timeout.read == 7.0
    assert read({"recall:requestTimeout": "3"}).timeout.read == 3.0


@pytest.mark.parametrize(
    ("value", "per_minute", "lists"), [(None, 300, 60), ("3000", 3000, 600), ("5", 5, 1)]
)
def test_pacing_follows_the_workspace_limit(value: str | None, per_minute: int, lists: int) -> None:
    config = {"recall:requestsPerMinute": value} if value else {}
    pacing = read(config).pacing
    assert (pacing.per_minute, pacing.list_per_minute) == (per_minute, lists)


@pytest.mark.parametrize("value", ["4", "many", "1.5"])
def test_bad_requests_per_minute(value: str) -> None:
    with pytest.raises(RecallConfigError, match="recall:requestsPerMinute") as info:
        read({"recall:requestsPerMinute": value})
    assert info.value.code is ErrorCode.BAD_SETTING


@pytest.mark.parametrize("value", ["0", "-1", "abc", "601"])
def test_bad_request_timeout(value: str) -> None:
    with pytest.raises(RecallConfigError, match="recall:requestTimeout") as info:
        read({"recall:requestTimeout": value})
    assert info.value.code is ErrorCode.BAD_SETTING


def test_bad_region_names_the_regions() -> None:
    with pytest.raises(RecallConfigError) as info:
        read({"recall:region": "mars-1"})
    assert info.value.code is ErrorCode.BAD_REGION
    assert "mars-1" in str(info.value)
    for region in REGION_URLS:
        assert region in str(info.value)


def test_a_client_needs_a_key_and_gets_every_setting() -> None:
    with pytest.raises(RecallConfigError) as info:
        read({}).client()
    assert info.value.code is ErrorCode.API_KEY_MISSING
    assert "recall:apiKey" in str(info.value), "the setting to set"
    assert "RECALL_API_KEY" in str(info.value), "or the variable"
    settings = read(
        {
            "recall:apiKey": "k",
            "recall:apiUrl": "http://127.0.0.1:9",
            "recall:requestTimeout": "2",
            "recall:requestsPerMinute": "100",
        }
    )
    with settings.client() as client:
        assert client.base_url == "http://127.0.0.1:9"
        assert client.timeout == settings.timeout
        assert client.pacing == settings.pacing


def test_settings_never_show_the_key() -> None:
    settings = read({"recall:apiKey": "a-very-secret-api-key"})
    assert "a-very-secret-api-key" not in repr(settings)
    assert "a-very-secret-api-key" not in str(settings)


def test_the_rate_limit_period_and_the_pacing_model(monkeypatch: pytest.MonkeyPatch) -> None:
    pacing = read({"recall:rateLimitPeriod": "12", "recall:pacing": "bucket"}).pacing
    assert (pacing.period, pacing.model, pacing.per_minute) == (12.0, "bucket", 300)
    monkeypatch.setenv("RECALL_RATE_LIMIT_PERIOD", "30")
    assert read({}).pacing.period == 30.0
    assert read({}).pacing.model == "sliding"


@pytest.mark.parametrize(
    ("key", "value"),
    [("recall:rateLimitPeriod", "0"), ("recall:rateLimitPeriod", "soon"), ("recall:pacing", "x")],
)
def test_bad_pacing_settings(key: str, value: str) -> None:
    with pytest.raises(RecallConfigError, match=key) as info:
        read({key: value})
    assert info.value.code is ErrorCode.BAD_SETTING


@pytest.mark.parametrize(
    "key",
    ["recall:requestsPerMinute", "recall:requestTimeout", "recall:rateLimitPeriod",
     "recall:pacing", "recall:region"],
)  # fmt: skip
def test_a_secret_pasted_under_the_wrong_key_is_not_shown(key: str) -> None:
    pasted = "sk-live-0123456789abcdefghijklmnopqrstuv"
    with pytest.raises(RecallConfigError) as info:
        read({key: pasted})
    assert info.value.code is (
        ErrorCode.BAD_REGION if key == "recall:region" else ErrorCode.BAD_SETTING
    )
    assert key.split(":")[1] in str(info.value) or "region" in str(info.value)
    assert pasted[:8] not in str(info.value)
    assert f"a {len(pasted)}-character value" in str(info.value)


def test_an_api_url_is_shown_without_its_query() -> None:
    with pytest.raises(RecallConfigError) as info:
        read({"recall:apiUrl": "https://proxy.example.com/recall?token=sk-live-012345"})
    assert info.value.code is ErrorCode.BAD_URL
    assert "https://proxy.example.com/recall" in str(info.value)
    assert "sk-live" not in str(info.value)


# URLs that do not parse, or that no connection can be made to: each fails in a different part
# of the URL parser, or of urllib3 when it connects.
UNUSABLE_URLS = [
    "http://[::1",  # a bracket left open
    "http://[::1]x:8",  # text after the bracket
    "http://[not-an-address]:8",
    "http://127.0.0.1:99999",  # a port out of range
    "http://127.0.0.1:8x",  # a port that is not a number
    "http://127.0.0.1:\uff18",  # nor in other scripts' digits
    "https://recall..example",  # an empty label
    f"https://{'a' * 64}.example",  # a label too long
    "http://127.0.0.1:8/\x1b[2J",  # control characters
    "https://exa mple.com",
    "https://",
    "ftp://recall.example",
]
PASSWORD, TOKEN = "hunter2-password", "sk-live-token-0123"


def with_credentials(url: str) -> list[str]:
    """``url``, and ``url`` with a user name and password, a token in the query, a fragment."""
    scheme, _, rest = url.partition("://")
    return [
        url,
        f"{scheme}://user:{PASSWORD}@{rest}",
        f"{url}?token={TOKEN}",
        f"{url}#{TOKEN}",
        f"{scheme}://user:{PASSWORD}@{rest}/?token={TOKEN}",
    ]


# Usable but for what they carry: credentials are refused, and never shown.
CARRYING_CREDENTIALS = [
    f"https://user:{PASSWORD}@proxy.example",
    f"https://proxy.example/recall?token={TOKEN}",
    f"https://proxy.example/recall#{TOKEN}",
    f"https://user:{PASSWORD}@proxy.example/?token={TOKEN}",
    f"https://user:pa/ss?{PASSWORD}@proxy.example",  # a password with a slash and a "?"
    f"http://user:{PASSWORD}@recall.example",  # plain http to a remote host as well
]


@pytest.mark.parametrize(
    "url", [u for url in UNUSABLE_URLS for u in with_credentials(url)] + CARRYING_CREDENTIALS
)
@pytest.mark.parametrize("source", ["config", "environment"])
def test_every_unusable_api_url_is_a_config_error_that_names_it_and_shows_no_credential(
    url: str, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "environment":
        monkeypatch.setenv("RECALL_API_URL", url)
    with pytest.raises(RecallConfigError) as info:
        read({"recall:apiUrl": url} if source == "config" else {})
    assert info.value.code is ErrorCode.BAD_URL
    said = str(info.value)
    assert ("recall:apiUrl" if source == "config" else "RECALL_API_URL") in said
    assert PASSWORD not in said
    assert TOKEN not in said
    assert said.isprintable(), "one line, no control character"


@pytest.mark.parametrize("url", [u for url in UNUSABLE_URLS for u in with_credentials(url)])
def test_a_preview_runs_whatever_the_api_url(url: str) -> None:
    # A preview calls no Recall: the unusable setting is said when a call needs Recall.
    provider = RecallZoomOAuthAppProvider()
    provider.configure(ConfigureRequest(Config({"recall:apiUrl": url}, "recall-zoom")))
    assert provider.check({}, {}).failures, "the check of a preview ran (and judged no inputs)"
    with pytest.raises(RecallConfigError) as info:
        provider.read("32721c6e-0000-4000-8000-00000000c11a", {})
    assert info.value.code is ErrorCode.BAD_URL
    assert "recall:apiUrl" in str(info.value)
    assert PASSWORD not in str(info.value)


def test_a_whole_number_given_as_a_float_is_that_number() -> None:
    # An explicit provider's arguments come as JSON numbers: floats.
    settings = Settings.read({"recall:requestsPerMinute": 120.0, "recall:requestTimeout": 2.5}.get)
    assert settings.pacing.per_minute == 120
    assert settings.timeout.read == 2.5
