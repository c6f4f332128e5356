"""``Pulumi.yaml`` and the stack files against the CLI's own config rules, which the skipped
Automation API test would otherwise be the first to meet (no CLI here or in CI).

The rules, from pulumi/pulumi ``sdk/go/common/workspace`` (``ValidateStackConfigAndApply…``,
``ValidateConfigValue``): a declared project key that a stack does not set and that has no
default stops every command with "Stack '<name>' is missing configuration value"; a declared
``type`` must match the stack's value (booleans may be the strings "true"/"false"); a key
declared ``secret`` must be encrypted in every stack file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from recall_provider import inputs
from recall_provider.models import DEFAULT_KIND
from tests.host_harness import ROOT

PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
DECLARED: dict[str, dict[str, Any]] = PROJECT.get("config") or {}
STACK_FILES = sorted((ROOT / PROJECT["stackConfigDir"]).glob("Pulumi.*.yaml*"))


def matches(type_name: str, value: Any) -> bool:
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    raise AssertionError(f"a type this test does not know: {type_name}")


def test_the_project_is_the_contracts() -> None:
    assert PROJECT["name"] == "recall-zoom"
    assert PROJECT["runtime"]["options"]["virtualenv"] == ".venv"
    assert STACK_FILES, "stack files live in stackConfigDir"


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_every_declared_key_has_a_default_of_its_type(key: str) -> None:
    declared = DECLARED[key]
    assert "default" in declared, f"a stack without {key} would not run"
    assert matches(declared["type"], declared["default"])
    assert not declared.get("secret"), "a secret key cannot have a default in plain text"


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: Path(p).name)
def test_stack_files_hold_values_of_the_declared_types(path: Path) -> None:
    stack = yaml.safe_load(path.read_text()) or {}
    for full_key, value in (stack.get("config") or {}).items():
        namespace, _, key = full_key.partition(":")
        if namespace == PROJECT["name"] and key in DECLARED:
            assert matches(DECLARED[key]["type"], value), f"{path.name}: {full_key}"


def test_declared_defaults_are_the_programs() -> None:
    # The CLI fills a declared default before the program runs: it must be the program's own.
    assert DECLARED["kind"]["default"] == DEFAULT_KIND
    assert DECLARED["validateWebhook"]["default"] is inputs.DEFAULTS["validate_webhook"]
