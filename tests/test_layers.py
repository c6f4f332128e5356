"""Every module of ``recall_provider`` stands in the import contracts that ``lint-imports`` holds,
so a new module cannot slip past the layer rules."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import recall_provider
import recall_provider.client
import recall_provider.emulator

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
    others = {f"recall_provider.{name}" for name in modules(recall_provider)} - {
        "recall_provider.emulator"
    }
    assert set(contract("The emulator imports nothing")["forbidden_modules"]) == others


def test_every_emulator_module_has_its_layer() -> None:
    emulator = contract("Emulator layers")
    assert emulator["containers"] == ["recall_provider.emulator"]
    assert layered(emulator["layers"]) == modules(recall_provider.emulator)


def test_every_client_module_has_its_layer() -> None:
    client = contract("Client layers")
    assert client["containers"] == ["recall_provider.client"]
    assert layered(client["layers"]) == modules(recall_provider.client)
