"""``Pulumi.yaml`` and the stack files against the CLI's own config rules, which the skipped
Automation API test would otherwise be the first to meet (no CLI here or in CI).

The rules, from pulumi/pulumi ``sdk/go/common/workspace`` (``ValidateStackConfigAndApply…``,
``ValidateConfigValue``): a declared project key that a stack does not set and that has no
default stops every command with "Stack '<name>' is missing configuration value"; a declared
``type`` must match the stack's value (booleans may be the strings "true"/"false"); a key
declared ``secret`` must be encrypted in every stack file.
"""

from __future__ import annotations

import base64
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from recall_provider.core import spec as inputs
from recall_provider.models import DEFAULT_KIND
from tests.host_harness import ROOT
from tests.pulumi_passphrase import encryption_salt, passphrase_opens

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


def test_the_passphrase_check_is_the_clis() -> None:
    # The vector of pulumi/pulumi pkg/secrets/passphrase/manager_test.go ("password").
    vector = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="
    salt, nonce = base64.b64decode("fozI5u6B030="), base64.b64decode("F+6ZduKKd8G0/V7L")
    assert encryption_salt("password", salt, nonce) == vector
    assert passphrase_opens("password", vector)
    assert not passphrase_opens("passw0rd", vector)


def test_the_dev_stack_file_holds_the_salt_of_the_dev_passphrase() -> None:
    # Without it, the first `pulumi stack select --create dev` would rewrite the file (its
    # comments dropped) to add one, and a fresh clone would be dirty after `make up`.
    source = (ROOT / "scripts" / "dev.py").read_text()
    (passphrase,) = re.findall(r'^DEV_PASSPHRASE = "([^"]+)"', source, re.M)
    dev = yaml.safe_load((ROOT / PROJECT["stackConfigDir"] / "Pulumi.dev.yaml").read_text())
    assert passphrase_opens(passphrase, dev["encryptionsalt"])
    # The CLI clears secretsprovider for a passphrase stack: one here would count as a change.
    assert set(dev) == {"encryptionsalt", "config"}


def test_the_required_cli_is_the_sdks_floor() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (sdk,) = [d for d in pyproject["project"]["dependencies"] if d.startswith("pulumi>=")]
    floor = re.match(r"pulumi>=([\d.]+)", sdk)
    assert floor is not None
    parts = [*floor.group(1).split("."), "0", "0"][:3]  # 3.216 is the release 3.216.0
    assert PROJECT["requiredPulumiVersion"] == f">={'.'.join(parts)}"
