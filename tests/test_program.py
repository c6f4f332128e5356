"""The Pulumi program (``__main__.py``) under the SDK's mock monitor: wiring, outputs, secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from recall_provider import stack
from recall_provider.core.spec import NAMES
from tests.mock_program import PLACEHOLDER_TYPE, SELF_CHECKED_AT
from tests.program_harness import APP_TYPE, BASE, run_program

SECRET_A = "program-client-secret-aaaa1111"
SECRET_B = "program-webhook-secret-bbbb2222"


def one_app_config(**extra: Any) -> dict[str, Any]:
    return {
        "recall-zoom:clientId": "zoomClientProgram",
        "recall-zoom:clientSecret": SECRET_A,
        "recall-zoom:webhookSecret": SECRET_B,
        **extra,
    }


def test_one_app_with_contract_outputs() -> None:
    run = run_program(one_app_config(), ("recall-zoom:clientSecret", "recall-zoom:webhookSecret"))
    (app,) = run.resources(APP_TYPE)
    assert app.name == "zoom"
    inputs = run.inputs(app)
    assert inputs["kind"] == "user_level"
    assert inputs["client_id"] == "zoomClientProgram"
    # Secret inputs travel wrapped as secrets, never as plain values.
    assert rpc.is_rpc_secret(inputs["client_secret"])
    assert rpc.unwrap_rpc_secret(inputs["client_secret"]) == SECRET_A
    assert rpc.is_rpc_secret(inputs["webhook_secret"])
    assert set(app.additionalSecretOutputs) >= {"client_secret", "webhook_secret"}
    assert run.resources(PLACEHOLDER_TYPE) == []
    app_id = run.outputs["zoom_oauth_app_id"]
    assert run.outputs["webhook_url"] == f"{BASE}/api/v2/zoom-oauth-apps/{app_id}/webhook"
    assert "apps" not in run.outputs
    assert SECRET_A not in run.raw_outputs
    assert SECRET_B not in run.raw_outputs


def test_account_level_kind_and_adoption_are_passed_on() -> None:
    adopt = "32721c6e-0000-4000-8000-000000000001"
    run = run_program(
        one_app_config(**{"recall-zoom:kind": "account_level", "recall-zoom:adoptAppId": adopt})
    )
    inputs = run.inputs(run.resources(APP_TYPE)[0])
    assert inputs["kind"] == "account_level"
    assert inputs["adopt_app_id"] == adopt


def test_placeholders_fill_missing_credentials_as_secrets() -> None:
    run = run_program({"recall-zoom:placeholderCredentials": "true", "recall:apiUrl": BASE}, ())
    (app,) = run.resources(APP_TYPE)
    placeholders = run.resources(PLACEHOLDER_TYPE)
    assert sorted(r.name for r in placeholders) == [
        "zoom-placeholder-client-id",
        "zoom-placeholder-client-secret",
        "zoom-placeholder-webhook-secret",
    ]
    # Drawn once and kept in state: the secrets as secret outputs, the client id in the clear.
    hidden = {r.name: list(r.additionalSecretOutputs) for r in placeholders}
    assert hidden == {
        "zoom-placeholder-client-id": [],
        "zoom-placeholder-client-secret": ["result"],
        "zoom-placeholder-webhook-secret": ["result"],
    }
    inputs = run.inputs(app)
    assert rpc.is_rpc_secret(inputs["client_secret"])
    assert rpc.unwrap_rpc_secret(inputs["client_secret"]) == "random-zoom-placeholder-client-secret"
    assert inputs["client_id"] == "random-zoom-placeholder-client-id"
    assert run.outputs["zoom_oauth_app_id"]


@pytest.mark.parametrize(
    ("config", "command"),
    [
        ({}, "`pulumi config set recall-zoom:clientId <value>`"),
        # A secret is prompted for: its value never on the command line (nor in its history).
        (
            {"recall-zoom:clientId": "c", "recall-zoom:webhookSecret": "w"},
            "`pulumi config set --secret recall-zoom:clientSecret`",
        ),
        (
            {"recall-zoom:apps": [{"name": "acme", "clientId": "c", "clientSecret": "s"}]},
            "`pulumi config set --path --secret 'recall-zoom:apps[0].webhookSecret'`",
        ),
        (
            {"recall-zoom:apps": [{"name": "acme", "clientSecret": "s", "webhookSecret": "w"}]},
            "`pulumi config set --path 'recall-zoom:apps[0].clientId' <value>`",
        ),
    ],
)
def test_missing_settings_name_the_command(config: dict[str, Any], command: str) -> None:
    with pytest.raises(pulumi.RunError) as info:
        run_program(config)
    assert command in str(info.value)


def test_several_apps_one_per_workspace() -> None:
    apps = [
        {"name": "acme", "clientId": "acmeClient", "clientSecret": "acme-cs-0001",
         "webhookSecret": "acme-ws-0001"},
        {"name": "globex", "kind": "account_level", "clientId": "globexClient",
         "clientSecret": "globex-cs-0001", "webhookSecret": "globex-ws-0001"},
    ]  # fmt: skip
    run = run_program({"recall-zoom:apps": apps}, ("recall-zoom:apps",))
    registered = {r.name: run.inputs(r) for r in run.resources(APP_TYPE)}
    assert set(registered) == {"acme", "globex"}
    assert registered["globex"]["kind"] == "account_level"
    assert rpc.is_rpc_secret(registered["acme"]["client_secret"])
    assert rpc.is_rpc_secret(registered["globex"]["webhook_secret"])
    exported = run.outputs["apps"]
    assert set(exported) == {"acme", "globex"}
    for entry in exported.values():
        assert entry["webhook_url"].endswith(f"/{entry['zoom_oauth_app_id']}/webhook")
        # What the health check reads of each app, under the names it reads them by.
        assert entry[stack.APP_ID_OUTPUT] == entry["zoom_oauth_app_id"]
        assert entry[stack.SELF_CHECK_OUTPUT] == SELF_CHECKED_AT
    assert run.outputs["zoom_oauth_app_id"] == exported["acme"]["zoom_oauth_app_id"]
    assert run.outputs[stack.SELF_CHECK_OUTPUT] == SELF_CHECKED_AT
    for secret in ("acme-cs-0001", "acme-ws-0001", "globex-cs-0001", "globex-ws-0001"):
        assert secret not in run.raw_outputs


def test_single_app_and_listed_apps_together() -> None:
    apps = [{"name": "acme", "clientId": "a", "clientSecret": "s1", "webhookSecret": "w1"}]
    run = run_program(one_app_config(**{"recall-zoom:apps": apps}))
    assert sorted(r.name for r in run.resources(APP_TYPE)) == ["acme", "zoom"]
    assert set(run.outputs["apps"]) == {"zoom", "acme"}
    assert run.outputs["zoom_oauth_app_id"] == run.outputs["apps"]["zoom"]["zoom_oauth_app_id"]


@pytest.mark.parametrize(
    ("apps", "fragment"),
    [
        ({"name": "x"}, "must be a list"),
        ([{"clientId": "c"}], "string `name`"),
        ([{"name": "a", "colour": "blue"}], "recall-zoom:apps[0].colour is not a setting"),
        ([{"name": "a"}, {"name": "a"}], "used twice"),
        ([{"name": "zoom"}], "reserved"),
    ],
)
def test_bad_app_lists_are_refused(apps: Any, fragment: str) -> None:
    with pytest.raises(pulumi.RunError) as info:
        run_program({"recall-zoom:apps": apps, "recall-zoom:placeholderCredentials": "true"})
    assert fragment in str(info.value)


def test_checklist_and_manifest_outputs() -> None:
    run = run_program(one_app_config())
    url = run.outputs["webhook_url"]
    checklist = run.outputs["zoom_checklist"]
    assert checklist["scopes"] == [
        "meeting:read:local_recording_token",
        "meeting:read:list_meetings",
        "meeting:read:meeting",
        "user:read:user",
    ]
    assert checklist["event_types"] == ["meeting.created", "user.updated"]
    assert checklist["event_notification_url_development"] == url
    assert checklist["event_notification_url_production"] == url
    assert checklist["deauthorization_url"] == url
    manifest = json.loads(run.outputs["zoom_manifest"])
    assert manifest["oauth_information"]["usage"] == "USER_OPERATION"
    (subscription,) = manifest["features"]["event_subscription"]["events"]
    assert subscription["event_types"] == ["meeting.created", "user.updated"]
    assert subscription["development_webhook_url"] == url
    assert subscription["production_webhook_url"] == url


def test_legacy_account_level_scopes_and_self_check_switch() -> None:
    run = run_program(
        one_app_config(
            **{
                "recall-zoom:kind": "account_level",
                "recall-zoom:scopeStyle": "legacy",
                "recall-zoom:validateWebhook": "false",
            }
        )
    )
    assert run.outputs["zoom_checklist"]["scopes"] == [
        "user:read:admin",
        "meeting:read:admin",
        "meeting_token:read:admin:local_recording",
    ]
    assert json.loads(run.outputs["zoom_manifest"])["oauth_information"]["usage"] == (
        "ADMIN_MANAGEMENT"
    )
    assert run.inputs(run.resources(APP_TYPE)[0])["validate_webhook"] is False


def test_the_self_check_is_on_by_default_and_per_app() -> None:
    apps = [
        {"name": "a", "clientId": "a", "clientSecret": "s", "webhookSecret": "w"},
        {"name": "b", "clientId": "b", "clientSecret": "s", "webhookSecret": "w",
         "validateWebhook": False},
    ]  # fmt: skip
    run = run_program({"recall-zoom:apps": apps})
    flags = {r.name: run.inputs(r)["validate_webhook"] for r in run.resources(APP_TYPE)}
    assert flags == {"a": True, "b": False}


def test_unknown_scope_style_is_refused() -> None:
    with pytest.raises(pulumi.RunError, match="scopeStyle must be one of granular, legacy"):
        run_program(one_app_config(**{"recall-zoom:scopeStyle": "fancy"}))


@pytest.mark.parametrize("key", ["clientSecret", "webhookSecret"])
def test_a_secret_stored_in_plain_text_is_refused(key: str) -> None:
    other = "webhookSecret" if key == "clientSecret" else "clientSecret"
    with pytest.raises(pulumi.RunError) as info:
        run_program(one_app_config(), (f"recall-zoom:{other}",))
    assert f"`pulumi config set --secret recall-zoom:{key}`" in str(info.value)
    assert SECRET_A not in str(info.value)
    assert SECRET_B not in str(info.value)


def test_a_plain_top_level_secret_is_refused_beside_an_app_list() -> None:
    apps = [{"name": "acme", "clientId": "a", "clientSecret": "s1", "webhookSecret": "w1"}]
    config = {"recall-zoom:apps": apps, "recall-zoom:clientSecret": SECRET_A}
    with pytest.raises(pulumi.RunError, match="--secret recall-zoom:clientSecret"):
        run_program(config, ("recall-zoom:apps",))


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), ("true", True), ("False", False)]
)
def test_every_app_reads_booleans_as_the_cli_writes_them(value: Any, expected: bool) -> None:
    # The top-level keys are the entry named "zoom": both are parsed by one model.
    apps = [{"name": "acme", "clientId": "a", "clientSecret": "s", "webhookSecret": "w",
             "validateWebhook": value}]  # fmt: skip
    run = run_program(one_app_config(**{"recall-zoom:validateWebhook": str(value).lower(),
                                        "recall-zoom:apps": apps}))  # fmt: skip
    flags = {r.name: run.inputs(r)["validate_webhook"] for r in run.resources(APP_TYPE)}
    assert flags == {"zoom": expected, "acme": expected}


@pytest.mark.parametrize("value", ["yes", "1", "on", 1, "ture"])
def test_a_boolean_that_is_not_one_is_refused_by_name(value: Any) -> None:
    apps = [{"name": "acme", "clientId": "a", "clientSecret": "s", "webhookSecret": "w",
             "validateWebhook": value}]  # fmt: skip
    with pytest.raises(pulumi.RunError, match=r"recall-zoom:apps\[0\]\.validateWebhook must be"):
        run_program({"recall-zoom:apps": apps})
    with pytest.raises(pulumi.RunError, match="recall-zoom:validateWebhook must be true or false"):
        run_program(one_app_config(**{"recall-zoom:validateWebhook": str(value)}))


def test_listed_apps_take_the_stacks_defaults() -> None:
    apps = [{"name": "acme", "clientId": "a", "clientSecret": "s", "webhookSecret": "w"}]
    config = {"recall-zoom:apps": apps, "recall-zoom:validateWebhook": "false",
              "recall-zoom:scopeStyle": "legacy", "recall-zoom:kind": "account_level"}  # fmt: skip
    run = run_program(config)
    (app,) = run.resources(APP_TYPE)
    assert run.inputs(app)["validate_webhook"] is False
    assert run.inputs(app)["kind"] == "user_level", "each app has its own kind"
    assert run.outputs["apps"]["acme"]["zoom_checklist"]["scopes"][0] == "meeting:read"


ACME = {"name": "acme", "clientId": "acmeClient", "clientSecret": "acme-cs-0001",
        "webhookSecret": "acme-ws-0001"}  # fmt: skip


@pytest.mark.parametrize("key", ["clientSecret", "webhookSecret"])
def test_a_listed_secret_stored_in_plain_text_is_refused_like_a_top_level_one(key: str) -> None:
    apps = [{"name": "plain", "clientId": "c", key: "kept-in-plain-text-0001"}]
    with pytest.raises(pulumi.RunError) as info:
        run_program({"recall-zoom:apps": apps, "recall-zoom:placeholderCredentials": "true"}, ())
    command = f"`pulumi config set --path --secret 'recall-zoom:apps[0].{key}'`"
    assert command in str(info.value)
    assert "kept-in-plain-text-0001" not in str(info.value)


STACK_FILE = """\
config:
  recall-zoom:apps:
    - name: sealed
      clientId: sealedClient
      clientSecret:
        secure: v1:c2VhbGVkLWNsaWVudC1zZWNyZXQ=
      webhookSecret:
        secure: v1:c2VhbGVkLXdlYmhvb2stc2VjcmV0
    - name: open
      clientId: openClient
      clientSecret: {client_secret}
      webhookSecret:
        secure: v1:b3Blbi13ZWJob29rLXNlY3JldA==
"""


def project_with(tmp_path: Path, client_secret: str) -> Path:
    """A project whose dev stack's file holds two apps, the second's client secret as given."""
    (tmp_path / "Pulumi.yaml").write_text("name: recall-zoom\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(
        STACK_FILE.format(client_secret=client_secret)
    )
    return tmp_path


LISTED = [
    {"name": "sealed", "clientId": "sealedClient", "clientSecret": "sealed-client-secret",
     "webhookSecret": "sealed-webhook-secret"},
    {"name": "open", "clientId": "openClient", "clientSecret": "open-client-secret-0001",
     "webhookSecret": "open-webhook-secret"},
]  # fmt: skip


def test_one_plain_secret_among_encrypted_ones_in_the_list_is_refused(tmp_path: Path) -> None:
    # One value set with --secret marks the whole list secret: the file shows the plain one.
    root = project_with(tmp_path, client_secret="open-client-secret-0001")
    with pytest.raises(pulumi.RunError) as info:
        run_program({"recall-zoom:apps": LISTED}, ("recall-zoom:apps",), root_directory=root)
    command = "`pulumi config set --path --secret 'recall-zoom:apps[1].clientSecret'`"
    assert command in str(info.value)
    assert "open-client-secret-0001" not in str(info.value)


def test_a_plain_secret_that_yaml_reads_as_a_number_is_refused_too(tmp_path: Path) -> None:
    # A Zoom secret of digits alone is a number in the file, and no less plain for it.
    root = project_with(tmp_path, client_secret="4815162342")
    listed = [LISTED[0], {**LISTED[1], "clientSecret": "4815162342"}]
    with pytest.raises(pulumi.RunError) as info:
        run_program({"recall-zoom:apps": listed}, ("recall-zoom:apps",), root_directory=root)
    assert "recall-zoom:apps[1].clientSecret" in str(info.value)
    assert "4815162342" not in str(info.value)


def test_a_list_whose_secrets_are_all_encrypted_runs(tmp_path: Path) -> None:
    root = project_with(tmp_path, client_secret="{secure: v1:b3Blbi1jbGllbnQtc2VjcmV0}")
    run = run_program({"recall-zoom:apps": LISTED}, ("recall-zoom:apps",), root_directory=root)
    assert sorted(r.name for r in run.resources(APP_TYPE)) == ["open", "sealed"]


@pytest.mark.parametrize(
    ("config", "first", "second"),
    [
        (
            {"recall-zoom:apps": [ACME, {**ACME, "name": "acme-again"}]},
            "recall-zoom:apps[0].clientId",
            "recall-zoom:apps[1].clientId",
        ),
        (
            one_app_config(**{"recall-zoom:apps": [{**ACME, "clientId": "zoomClientProgram"}]}),
            "recall-zoom:clientId",
            "recall-zoom:apps[0].clientId",
        ),
        (
            {
                "recall-zoom:apps": [
                    {**ACME, "adoptAppId": "32721c6e-0000-4000-8000-000000000001"},
                    {
                        **ACME,
                        "name": "b",
                        "clientId": "b",
                        "adoptAppId": "{32721C6E-0000-4000-8000-000000000001}",
                    },
                ]
            },
            "recall-zoom:apps[0].adoptAppId",
            "recall-zoom:apps[1].adoptAppId",
        ),
        (
            one_app_config(
                **{
                    "recall-zoom:adoptAppId": "32721c6e-0000-4000-8000-000000000002",
                    "recall-zoom:apps": [
                        {**ACME, "adoptAppId": "32721C6E000040008000000000000002"},
                    ],
                }
            ),
            "recall-zoom:adoptAppId",
            "recall-zoom:apps[0].adoptAppId",
        ),
        (
            # Pasted with a zero-width space and a byte-order mark: the provider trims them.
            {
                "recall-zoom:apps": [
                    ACME,
                    {**ACME, "name": "b", "clientId": "\ufeffacmeClient\u200b"},
                ]
            },
            "recall-zoom:apps[0].clientId",
            "recall-zoom:apps[1].clientId",
        ),
    ],
    ids=[
        "two-entries",
        "top-level-and-entry",
        "one-adopted-app",
        "one-adopted-app-top-level-and-entry",
        "pasted-client-id",
    ],
)
def test_two_entries_for_one_app_are_refused_naming_both(
    config: dict[str, Any], first: str, second: str
) -> None:
    with pytest.raises(pulumi.RunError) as info:
        run_program(config)
    assert f"{first} and {second} both name" in str(info.value)


def test_each_app_tells_the_provider_where_its_user_sets_each_argument() -> None:
    # The provider's errors then name the key this stack's user sets, not the argument.
    run = run_program(
        {**one_app_config(), "recall-zoom:apps": [{**ACME, "name": "b", "clientId": "other"}]}
    )
    keys = {app.name: run.inputs(app)["argument_keys"] for app in run.resources(APP_TYPE)}
    assert keys["zoom"]["adopt_app_id"] == "recall-zoom:adoptAppId"
    assert keys["zoom"]["client_secret"] == "recall-zoom:clientSecret"
    assert keys["b"]["adopt_app_id"] == "recall-zoom:apps[0].adoptAppId"
    assert keys["b"]["validate_webhook"] == "recall-zoom:apps[0].validateWebhook"
    assert set(keys["b"]) == set(NAMES)
