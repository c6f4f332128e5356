"""Every module of ``recall_provider`` stands in the import contracts that ``lint-imports`` holds,
so a new module cannot slip past the layer rules."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

import recall_provider
import recall_provider.client
import recall_provider.emulator
import recall_provider.forwarder

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS: list[dict[str, Any]] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
    "importlinter"
]["contracts"]


def contract(name_start: str) -> dict[str, Any]:
    (found,) = [c for c in CONTRACTS if c["name"].startswith(name_start)]
    return found


def layered(layers: list[str]) -> set[str]:
    return {module.strip() for layer in layers for module in layer.split("|")}


def modules(package: Any) -> set[str]:
    return {info.name for info in pkgutil.iter_modules(package.__path__)}


def test_every_module_has_its_layer() -> None:
    top = {f"recall_provider.{name}" for name in modules(recall_provider)}
    assert layered(contract("Layers:")["layers"]) == top - {"recall_provider.emulator"}


def test_the_emulator_is_forbidden_every_other_module() -> None:
    # Save the leaves, which import nothing: the one every writer of a shared file goes
    # through, the one that holds Recall's limits (which the emulator enforces), and the one
    # that holds every command's exit statuses.
    others = {f"recall_provider.{name}" for name in modules(recall_provider)} - {
        "recall_provider.emulator",
        "recall_provider.exit_status",
        "recall_provider.files",
        "recall_provider.limits",
    }
    assert set(contract("The emulator imports nothing")["forbidden_modules"]) == others


@pytest.mark.parametrize("package", [recall_provider.client, recall_provider.emulator,
                                     recall_provider.forwarder])  # fmt: skip
def test_every_module_of_a_package_has_its_layer(package: Any) -> None:
    (inner,) = [c for c in CONTRACTS if c.get("containers") == [package.__name__]]
    assert inner["type"] == "layers"
    assert layered(inner["layers"]) == modules(package)
