"""No config mistake passes silently: a misspelt key (of the program's namespace, of ``recall:``,
in either door), a kind that is none, an API URL with Recall's own path; and an app id is
blamed on whoever gave it (a command line, an import, a state), never on a state it is not in.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import grpc
import pulumi
import pytest
import yaml
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2 as proto

from recall_provider import cli
from recall_provider.client import resolve_base_url
from recall_provider.core import AppInputs, AppService, AppState, spoken_as
from recall_provider.emulator import EmulatorServer
from recall_provider.errors import ErrorCode, Outcome, RecallConfigError
from recall_provider.models import KINDS
from recall_provider.native.server import RecallProvider
from recall_provider.native.values import marshal
from recall_provider.settings import (
    ENGINE_KEYS,
    ENVIRONMENT,
    SETTINGS,
    Settings,
    refuse_unknown_settings,
)
from tests.helpers import make_app
from tests.host_harness import ROOT
from tests.program_harness import APP_TYPE, BASE, run_program

ONE_APP = {
    "recall-zoom:clientId": "zoomClientMistakes",
    "recall-zoom:clientSecret": "mistakes-client-secret-0001",
    "recall-zoom:webhookSecret": "mistakes-webhook-secret-0001",
}
BAD_ID = "not-an-app-id"
GONE_ID = "7b0e3c1e-0000-4000-8000-00000000dead"


@pytest.fixture(autouse=True)
def _no_settings_in_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)


def refused(config: dict[str, Any]) -> str:
    """The one line that the program stops with, given ``config`` beside one good app."""
    with pytest.raises(pulumi.RunError) as info:
        run_program({**ONE_APP, **config})
    said = str(info.value)
    assert "\n" not in said
    return said


# -- the program's namespace -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("recall-zoom:clientid", "recall-zoom:clientId"),
        ("recall-zoom:webhookSecert", "recall-zoom:webhookSecret"),
        ("recall-zoom:placeholderCredential", "recall-zoom:placeholderCredentials"),
        ("recall-zoom:validate_webhook", "recall-zoom:validateWebhook"),
        ("recall-zoom:App", "recall-zoom:apps"),
    ],
)
def test_a_misspelt_key_of_the_program_names_the_one_meant(key: str, meant: str) -> None:
    assert refused({key: "x"}) == f"{key} is not a setting of this program: did you mean {meant}?"


def test_a_key_close_to_none_lists_the_programs_keys() -> None:
    said = refused({"recall-zoom:colour": "blue"})
    assert said.startswith("recall-zoom:colour is not a setting of this program: its settings ")
    for key in ("kind", "clientId", "clientSecret", "webhookSecret", "adoptAppId", "apps",
                "validateWebhook", "scopeStyle", "placeholderCredentials"):  # fmt: skip
        assert f"recall-zoom:{key}" in said


def test_every_key_the_project_declares_is_one_the_program_reads() -> None:
    # Pulumi.yaml's keys reach the program with their defaults on every run: none is unknown.
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))["config"]
    stack = {f"recall-zoom:{key}": spec["default"] for key, spec in declared.items()}
    assert run_program({**ONE_APP, **stack, "recall-zoom:placeholderCredentials": False})


def test_a_misspelt_key_in_a_listed_app_names_the_one_meant() -> None:
    apps = [{"name": "acme", "clientid": "c", "clientSecret": "s", "webhookSecret": "w"}]
    assert refused({"recall-zoom:apps": apps}) == (
        "recall-zoom:apps[0].clientid is not a setting of this program: "
        "did you mean recall-zoom:apps[0].clientId?"
    )


def test_a_key_of_a_list_set_without_path_says_how_to_set_it() -> None:
    said = refused({"recall-zoom:apps[0].webhookSecret": "w"})
    assert said.startswith("recall-zoom:apps[0].webhookSecret is not a setting of this program")
    assert "`pulumi config rm 'recall-zoom:apps[0].webhookSecret'`" in said
    assert "`pulumi config set --path --secret 'recall-zoom:apps[0].webhookSecret'`" in said
    assert said.endswith("`"), "a secret is prompted for, not given on the command line"


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("recall_zoom:clientId", "recall-zoom:clientId"),
        ("recallzoom:kind", "recall-zoom:kind"),
        ("recal:apiKey", "recall:apiKey"),
        ("Recall:apiUrl", "recall:apiUrl"),
        ("reacll:region", "recall:region"),
    ],
)
def test_a_misspelt_namespace_names_the_key_meant(key: str, meant: str) -> None:
    assert refused({key: "x"}).endswith(f": did you mean {meant}?")


def test_other_namespaces_and_the_engines_keys_pass() -> None:
    run = run_program({**ONE_APP, "aws:region": "eu-west-1", "pulumi:tags": "{}", "zoom:x": "y",
                       "recall:version": "1.2.3", "recall:apiUrl": BASE})  # fmt: skip
    assert run.resources(APP_TYPE)


def test_the_keys_the_cli_passes_in_the_environment_are_checked_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real CLI passes the config as PULUMI_CONFIG, not through the SDK's setter.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"recall-zoom:clientid": "c"}))
    assert refused({}).startswith("recall-zoom:clientid is not a setting")


# -- the provider's namespace ------------------------------------------------------------


def test_a_misspelt_provider_setting_stops_the_program() -> None:
    assert refused({"recall:apiurl": BASE}) == (
        "recall:apiurl is not a setting of the recall provider: did you mean recall:apiUrl?"
    )
    assert refused({"recall:requestTimeOut": "5"}).endswith("did you mean recall:requestTimeout?")


def test_an_unknown_setting_has_its_code_and_lists_the_settings() -> None:
    with pytest.raises(RecallConfigError) as info:
        refuse_unknown_settings(["recall:apiKey", "recall:colour"])
    assert info.value.code is ErrorCode.UNKNOWN_SETTING
    assert str(info.value).startswith("recall:colour is not a setting of the recall provider")
    for key in SETTINGS:
        assert key in str(info.value)
    refuse_unknown_settings([*SETTINGS, *(f"recall:{key}" for key in ENGINE_KEYS)])


class Aborted(Exception):
    """What a gRPC context's abort raised: the status and the details the engine gets."""


class Context:
    """A servicer context that only aborts."""

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise Aborted(code, details)


def check_config(news: dict[str, Any]) -> proto.CheckResponse:
    urn = "urn:pulumi:dev::p::pulumi:providers:recall::default"
    request = proto.CheckRequest(
        urn=urn, news=marshal({k: PropertyValue(v) for k, v in news.items()})
    )
    answer: proto.CheckResponse = asyncio.run(RecallProvider().CheckConfig(request, Context()))
    return answer


def test_the_plugins_check_config_refuses_a_misspelt_setting() -> None:
    answer = check_config({"apiKey": "k", "apiurl": BASE, "regoin": "us-west-2"})
    reasons = [f.reason for f in answer.failures]
    assert len(reasons) == 2
    assert (
        "recall:apiurl is not a setting of the recall provider: did you mean recall:apiUrl?"
        in (reasons[0])
    )
    assert "did you mean recall:region?" in reasons[1]
    assert all("[unknown_setting]" in r for r in reasons)
    # Not tied to the property: the engine would print its value beside it (a key, perhaps).
    assert [f.property for f in answer.failures] == ["", ""]


def test_the_plugins_check_config_takes_the_settings_and_the_engines_keys() -> None:
    news = {key.split(":", 1)[1]: "1" for key in SETTINGS}
    answer = check_config({**news, "version": "0.1.0", "pluginDownloadURL": "file:///x"})
    assert list(answer.failures) == []
    assert set(PropertyValue.unmarshal_map(answer.inputs)) == {*news, "version",
                                                               "pluginDownloadURL"}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "variables"),
    [({"apiurl": BASE}, {}), ({}, {"recall:config:apiurl": BASE})],
    ids=["arguments", "older-variables"],
)
def test_the_plugins_configure_refuses_a_misspelt_setting(
    args: dict[str, str], variables: dict[str, str]
) -> None:
    request = proto.ConfigureRequest(
        args=marshal({k: PropertyValue(v) for k, v in args.items()}), variables=variables
    )
    with pytest.raises(Aborted) as info:
        asyncio.run(RecallProvider().Configure(request, Context()))
    code, details = info.value.args
    assert code is grpc.StatusCode.UNKNOWN
    assert "[unknown_setting]" in details
    assert "recall:apiurl is not a setting of the recall provider: did you mean recall:apiUrl?" in (
        details
    )


def test_the_plugins_configure_takes_the_engines_version() -> None:
    args = {"apiKey": PropertyValue("k"), "apiUrl": PropertyValue(BASE),
            "version": PropertyValue("0.1.0")}  # fmt: skip
    request = proto.ConfigureRequest(args=marshal(args), variables={"recall:config:apiUrl": BASE})
    assert asyncio.run(RecallProvider().Configure(request, Context())).acceptSecrets


# -- kind -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"recall-zoom:kind": "userlevel"}, "recall-zoom:kind"),
        (
            {
                "recall-zoom:apps": [{"name": "acme", "kind": "Account"}],
                "recall-zoom:placeholderCredentials": "true",
            },
            "recall-zoom:apps[0].kind",
        ),
    ],
)
def test_a_kind_that_is_none_is_one_line_naming_the_key_and_the_kinds(
    config: dict[str, Any], key: str
) -> None:
    said = refused(config)
    assert said.startswith(f"{key} must be one of {', '.join(KINDS)}, not ")


# -- an API URL with Recall's own path ------------------------------------------------


def refusal_of(source: str, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """What reading the settings says of ``url`` given as ``source`` (config key or variable)."""
    config = {source: url} if source in SETTINGS else {}
    if source not in SETTINGS:
        monkeypatch.setenv(source, url)
    with pytest.raises(RecallConfigError) as info:
        Settings.read(config.get)
    assert info.value.code is ErrorCode.BAD_URL
    return str(info.value)


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://us-east-1.recall.ai/api/v1/", "https://us-east-1.recall.ai"),
        ("https://us-east-1.recall.ai/api/v2", "https://us-east-1.recall.ai"),
        ("http://127.0.0.1:18111/api/v1", "http://127.0.0.1:18111"),
        (
            "https://eu-central-1.recall.ai/API/v2/zoom-oauth-apps/",
            "https://eu-central-1.recall.ai",
        ),
    ],
)
@pytest.mark.parametrize("source", ["recall:apiUrl", "RECALL_API_URL"])
def test_an_api_url_with_the_apis_path_names_the_base_url(
    url: str, base: str, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = refusal_of(source, url, monkeypatch)
    assert said.startswith(f"{source} {url!r} has a path of Recall's API")
    assert f"give the base URL alone, {base!r}" in said


@pytest.mark.parametrize("url", ["https://us-east-1.recall.ai/", "http://127.0.0.1:18111/"])
def test_a_trailing_slash_is_fine(url: str) -> None:
    assert resolve_base_url(api_url=url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "path", "base"),
    [
        ("https://proxy.example/recall/", "/recall/", "https://proxy.example"),
        ("https://proxy.example/recall/api/", "/recall/api/", "https://proxy.example"),
        ("https://proxy.example/apis", "/apis", "https://proxy.example"),
        ("http://127.0.0.1:18111/v2", "/v2", "http://127.0.0.1:18111"),
    ],
)
@pytest.mark.parametrize("source", ["recall:apiUrl", "RECALL_API_URL"])
def test_an_api_url_with_any_path_is_refused_naming_the_base_url(
    url: str, path: str, base: str, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = refusal_of(source, url, monkeypatch)
    assert f"({path}): give the base URL alone, {base!r}" in said


def test_the_program_and_the_commands_refuse_it_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    said = refused({"recall:apiUrl": "https://us-east-1.recall.ai/api/v1/"})
    assert "give the base URL alone, 'https://us-east-1.recall.ai'" in said
    monkeypatch.setenv("RECALL_API_KEY", "k")
    for option in ("--api-url", None):
        if option is None:
            monkeypatch.setenv("RECALL_API_URL", "http://127.0.0.1:18111/api/v1")
        with pytest.raises(SystemExit) as info:
            cli.main(["logs", "--app-id", GONE_ID,
                      *((option, "http://127.0.0.1:18111/api/v1") if option else ())])  # fmt: skip
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "give the base URL alone, 'http://127.0.0.1:18111'" in err
        assert (option or "RECALL_API_URL") in err


# -- app ids: blamed on whoever gave them ----------------------------------------------


@pytest.mark.parametrize("command", ["health", "logs"])
def test_an_app_id_on_the_command_line_is_not_called_a_state(
    command: str,
    fresh_emulator: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECALL_API_KEY", "k")
    for app_id, says in ((BAD_ID, "expected a Recall app id"), (GONE_ID, "has no app")):
        with pytest.raises(SystemExit) as info:
            cli.main([command, "--app-id", app_id, "--api-url", fresh_emulator.url])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert says in err
        assert app_id in err
        assert "state" not in err
        assert "corrupt" not in err


def service_for(emulator: EmulatorServer) -> AppService:
    service = AppService()
    service.configure({"recall:apiKey": "k", "recall:apiUrl": emulator.url}.get)
    return service


@pytest.mark.parametrize("app_id", [BAD_ID, GONE_ID])
def test_an_id_to_import_is_not_called_a_state(app_id: str, fresh_emulator: EmulatorServer) -> None:
    with pytest.raises(RecallConfigError) as info:
        service_for(fresh_emulator).import_app(app_id)
    said = str(info.value)
    assert app_id in said
    assert "state" not in said
    assert "corrupt" not in said


def test_an_id_to_adopt_is_named_as_the_program_sets_it(fresh_emulator: EmulatorServer) -> None:
    inputs = AppInputs.model_validate(
        {"client_id": "zc", "client_secret": "adopt-client-secret-01",
         "webhook_secret": "adopt-webhook-secret-01", "adopt_app_id": GONE_ID}
    )  # fmt: skip
    with (
        spoken_as({"adopt_app_id": "recall-zoom:adoptAppId"}),
        pytest.raises(RecallConfigError) as info,
    ):
        service_for(fresh_emulator).create(inputs)
    assert info.value.code is ErrorCode.ADOPT_NOT_FOUND
    assert "Check recall-zoom:adoptAppId" in str(info.value)
    assert "state" not in str(info.value)


def test_a_recorded_id_that_is_none_is_said_to_be_the_states(
    fresh_emulator: EmulatorServer,
) -> None:
    service = service_for(fresh_emulator)
    made = make_app(fresh_emulator)
    last = AppState.from_recorded(BAD_ID, {"kind": made["kind"], "client_id": made["client_id"]})
    news = AppInputs.model_validate(
        {"client_id": made["client_id"], "client_secret": "recorded-client-secret-01",
         "webhook_secret": "recorded-webhook-secret-01"}
    )  # fmt: skip
    for call in (
        lambda: service.read(BAD_ID, last),
        lambda: service.update(BAD_ID, last, news),
        lambda: service.delete(BAD_ID, last),
    ):
        with pytest.raises(RecallConfigError) as info:
            call()
        assert info.value.code is ErrorCode.BAD_ID
        assert info.value.outcome is Outcome.NOT_SENT
        said = str(info.value)
        assert said.startswith(f"the stack's state records the app id {BAD_ID!r}")
        assert "`pulumi state delete`" in said
    assert fresh_emulator.app.requests == [], "nothing was sent"


@pytest.mark.parametrize(
    ("recorded", "says"),
    [({}, "cannot import 'not-an-app-id'"), ({"clientId": "zc"}, "the stack's state records")],
    ids=["pulumi-import", "refresh"],
)
def test_the_plugins_read_blames_the_import_or_the_state(
    recorded: dict[str, str], says: str, fresh_emulator: EmulatorServer
) -> None:
    # `pulumi import recall:index:ZoomOAuthApp name <id>` sends the id alone; a refresh, the
    # id with what the state recorded.
    provider = RecallProvider()
    args = {
        "apiKey": PropertyValue("k", is_secret=True),
        "apiUrl": PropertyValue(fresh_emulator.url),
    }
    asyncio.run(provider.Configure(proto.ConfigureRequest(args=marshal(args)), Context()))
    props = marshal({k: PropertyValue(v) for k, v in recorded.items()})
    request = proto.ReadRequest(urn="urn:pulumi:dev::p::recall:index:ZoomOAuthApp::app", id=BAD_ID,
                                properties=props)  # fmt: skip
    with pytest.raises(Aborted) as info:
        asyncio.run(provider.Read(request, Context()))
    details = info.value.args[1]
    assert says in details
    assert "[bad_id]" in details
    if not recorded:
        assert "state" not in details


def test_a_key_of_an_apps_entry_at_the_top_says_where_it_belongs() -> None:
    said = refused({"recall-zoom:name": "acme"})
    assert said.startswith("recall-zoom:name is not a setting of this program: name is set ")
    assert "`pulumi config set --path 'recall-zoom:apps[0].name' <value>`" in said
