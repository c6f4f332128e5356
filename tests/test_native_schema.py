"""The native provider's schema: made from the one declaration of the inputs, outputs and
settings, checked in as provider/schema.json, and valid by Pulumi's own metaschema."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from recall_provider.core.spec import NAMES, OUTPUT_NAMES, REQUIRED, SECRETS, camel, description
from recall_provider.native.schema import DYNAMIC_TYPE, RESOURCE, schema, schema_json
from recall_provider.settings import SETTINGS
from tests.host_harness import ROOT
from tests.real_cli import REQUIRE_ENV, find_sdkgen

METASCHEMA = ROOT / "tests" / "vendor" / "pulumi-metaschema.json"


def metaschema() -> dict[str, Any]:
    # ECMAScript's named groups, (?<name>...), are (?P<name>...) to Python's re.
    loaded: dict[str, Any] = json.loads(METASCHEMA.read_text().replace("(?<", "(?P<"))
    return loaded


def test_the_checked_in_schema_is_the_one_the_declarations_make() -> None:
    checked_in = (ROOT / "provider" / "schema.json").read_text()
    assert checked_in == schema_json(), (
        "provider/schema.json is stale: write recall_provider.native.schema.schema_json() to it"
    )


def test_pulumis_metaschema_accepts_the_schema() -> None:
    validator = Draft202012Validator(metaschema())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(schema())]
    assert errors == []


@pytest.mark.parametrize(
    "broken",
    [
        {"name": "1recall"},
        {"resources": {"recall-ZoomOAuthApp": {}}},
        {"unknownTopLevelKey": True},
    ],
    ids=["bad-name", "bad-token", "unknown-key"],
)
def test_the_metaschema_check_can_fail(broken: dict[str, Any]) -> None:
    validator = Draft202012Validator(metaschema())
    assert list(validator.iter_errors({**schema(), **broken})), "a broken schema is refused"


def test_every_property_is_the_declarations_own() -> None:
    resource = schema()["resources"][RESOURCE]
    inputs, outputs = resource["inputProperties"], resource["properties"]
    assert list(inputs) == [camel(n) for n in NAMES]
    assert list(outputs) == [camel(n) for n in OUTPUT_NAMES]
    assert resource["requiredInputs"] == [camel(n) for n in REQUIRED]
    for name in OUTPUT_NAMES:
        assert outputs[camel(name)]["description"] == description(name)
        assert outputs[camel(name)].get("secret", False) is (name in SECRETS)
    assert inputs["clientSecret"]["secret"] is inputs["webhookSecret"]["secret"] is True
    assert inputs["validateWebhook"] == {**inputs["validateWebhook"], "type": "boolean"}
    assert inputs["validateWebhook"]["default"] is True
    assert inputs["kind"]["default"] == "user_level"
    assert resource["aliases"] == [{"type": DYNAMIC_TYPE}], "a stack moves over without a replace"


def test_the_settings_are_the_providers_and_the_stacks_config() -> None:
    declared = schema()
    names = [key.split(":", 1)[1] for key in SETTINGS]
    assert list(declared["config"]["variables"]) == names
    assert list(declared["provider"]["inputProperties"]) == names
    api_key = declared["provider"]["inputProperties"]["apiKey"]
    assert api_key["secret"] is True
    for key, setting in SETTINGS.items():
        assert setting.env in declared["config"]["variables"][key.split(":", 1)[1]]["description"]


def test_the_clis_own_binder_accepts_the_schema_and_refuses_a_broken_one(tmp_path: Path) -> None:
    # What `pulumi package add` does first (BindSpec: the metaschema, then types and tokens).
    sdkgen = find_sdkgen()
    if sdkgen is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail("no pulumi-sdkgen: `make pulumi-cli` builds it beside the CLI")
        pytest.skip("no pulumi-sdkgen: `make pulumi-cli` builds it beside the CLI")
    broken = schema()
    broken["resources"][RESOURCE]["properties"]["kind"] = {"$ref": "#/types/recall:index:Nope"}
    for name, spec in (("good", schema()), ("broken", broken)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(spec))
        done = subprocess.run(
            [str(sdkgen), str(path), "python", str(tmp_path / f"{name}-sdk")],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert (done.returncode == 0) is (name == "good"), done.stderr
    assert "recall:index:Nope" in done.stderr, "the binder names what is wrong"
