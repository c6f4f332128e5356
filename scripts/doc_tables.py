"""The docs' generated tables, made from the declarations they describe (what
``python3 scripts/docs.py`` runs, in the project's virtualenv).

Each table sits in a doc between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``:
the provider settings from ``recall_provider.settings``, the resource's inputs and outputs from
``recall_provider.core.spec`` through the native schema, the error codes from
``recall_provider.codes``, and this repository's program's config keys from ``__main__.py``
and ``Pulumi.yaml``. ``tests/test_docs.py`` compares every doc with what ``render`` makes.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from recall_provider.client import REGION_URLS
from recall_provider.codes import ErrorCode
from recall_provider.core.spec import (
    DEFAULTS,
    IMMUTABLE,
    MUTABLE,
    NAMES,
    OUTPUT_NAMES,
    PROVIDER_ONLY,
    PROVIDER_ONLY_CHANGES,
    REQUIRED,
    camel,
    description,
)
from recall_provider.exit_status import ExitStatus
from recall_provider.models import KINDS
from recall_provider.native.schema import RESOURCE, schema
from recall_provider.settings import SETTINGS, Settings

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "python3 scripts/docs.py"
"""The command that writes the tables again (what a stale table's failure names)."""
MARKED = re.compile(
    r"(?P<open><!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(?P<close><!-- /generated -->)",
    re.S,
)


class GeneratorError(Exception):
    """A declaration the generator cannot make a table of: it names the declaration to fix."""


def documents() -> list[Path]:
    """Every doc a user or a maintainer reads: the front page, the contributing guide and each
    page of docs/ (what the walk of commands and the generated tables cover)."""
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _cell(text: object) -> str:
    """A table cell: the declarations' reST literals as Markdown's, no pipe or line break."""
    return str(text).replace("``", "`").replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n"


def _literal(value: object) -> str:
    """A default as a user writes it in config: JSON's spelling (``true``, not ``True``)."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def settings_table() -> str:
    """The provider settings: key, environment variable, default, secrecy, description."""
    # The defaults are what the settings parse to when nothing is set: the behaviour itself.
    unset = Settings.read(lambda _key: None, env={})
    (region,) = [name for name, url in REGION_URLS.items() if url == unset.base_url]
    defaults: dict[str, str] = {
        "recall:apiKey": "none (required)",
        "recall:region": _literal(region),
        "recall:apiUrl": "the region's URL",
        "recall:requestTimeout": _literal(f"{unset.timeout.read:g}"),
        "recall:requestsPerMinute": _literal(unset.pacing.per_minute),
        "recall:rateLimitPeriod": _literal(f"{unset.pacing.period:g}"),
        "recall:pacing": _literal(unset.pacing.model),
    }
    if defaults.keys() != SETTINGS.keys():
        raise GeneratorError(
            "the settings' defaults in scripts/doc_tables.py differ from recall_provider/"
            f"settings.py's SETTINGS: add or remove {sorted(defaults.keys() ^ SETTINGS.keys())}"
        )
    rows = [
        (
            f"`{key}`",
            f"`{setting.env}`",
            defaults[key],
            "yes" if setting.secret else "",
            setting.description,
        )
        for key, setting in SETTINGS.items()
    ]
    return _table(("key", "environment variable", "default", "secret", "description"), rows)


def _resource() -> dict[str, Any]:
    resource: dict[str, Any] = schema()["resources"][RESOURCE]
    return resource


def _type(prop: dict[str, Any], name: str) -> str:
    if name == "kind":
        return " or ".join(f"`{kind}`" for kind in KINDS)
    return str(prop["type"])


def inputs_table() -> str:
    """The resource's inputs, in both doors' names, from the one declaration (via the schema
    the native door serves, which is made from it)."""
    if set(PROVIDER_ONLY_CHANGES) != set(PROVIDER_ONLY):
        raise GeneratorError(
            "what a change of a provider-only input does is said (spec.PROVIDER_ONLY_CHANGES) "
            f"for {sorted(PROVIDER_ONLY_CHANGES)}, but PROVIDER_ONLY is {sorted(PROVIDER_ONLY)}"
        )
    resource = _resource()
    declared = resource["inputProperties"]
    rows = []
    for name in NAMES:
        prop = declared[camel(name)]
        if camel(name) in resource["requiredInputs"]:
            need = "required"
        elif "default" in prop:
            need = f"default {_literal(prop['default'])}"
        else:
            need = "optional"
        if name in IMMUTABLE:
            change = "replace (Recall cannot change it)"
        elif name in MUTABLE:
            change = "update in place (one PATCH)"
        else:
            change = PROVIDER_ONLY_CHANGES[name]
        rows.append(
            (
                f"`{name}`",
                f"`{camel(name)}`",
                _type(prop, name),
                need,
                "yes" if prop.get("secret") else "",
                change,
                prop["description"],
            )
        )
    header = ("Python (dynamic)", "native", "type", "required", "secret", "on change")
    return _table((*header, "description"), rows)


def outputs_table() -> str:
    """The resource's outputs, in both doors' names: the id, then every declared output."""
    declared = _resource()["properties"]
    rows = [("`id`", "`id`", "string", "", "Recall's id of the app: the resource's id.")]
    for name in OUTPUT_NAMES:
        prop = declared[camel(name)]
        secret = "always" if prop.get("secret") else ""
        rows.append(
            (f"`{name}`", f"`{camel(name)}`", _type(prop, name), secret, prop["description"])
        )
    return _table(("Python (dynamic)", "native", "type", "secret", "description"), rows)


def error_codes_table() -> str:
    """Every error code and what it means."""
    return _table(
        ("code", "meaning"), [(f"`{code.value}`", code.description) for code in ErrorCode]
    )


PROGRAM = ROOT / "__main__.py"
PROJECT_FILE = ROOT / "Pulumi.yaml"


@cache
def program() -> ModuleType:
    """This repository's Pulumi program as a module of its declarations (``PROGRAM_KEYS``,
    ``SECRET_KEYS``, ...), imported under another name than ``__main__``, so that its
    ``main()``, which only the Pulumi CLI may run, does not run."""
    spec = importlib.util.spec_from_file_location("recall_zoom_program", PROGRAM)
    if spec is None or spec.loader is None:
        raise GeneratorError(f"{PROGRAM} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    # Registered as an import would be: its dataclasses look their module up there.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def project_config() -> dict[str, dict[str, Any]]:
    """``Pulumi.yaml``'s ``config:``: the program's keys that have a default, with their
    descriptions."""
    declared = yaml.safe_load(PROJECT_FILE.read_text("utf-8")).get("config") or {}
    if not isinstance(declared, dict):
        raise GeneratorError(f"{PROJECT_FILE.name}: config must be a mapping of keys")
    return declared


def _apps_description(main: ModuleType) -> str:
    keys = ", ".join(f"`{key}`" for key in main.ENTRY_KEYS)
    return (
        f"More apps, one per customer: a list of objects with the keys {keys} (`name` "
        "required) ([guide](guides/several-apps.md))."
    )


UNDECLARED: dict[str, Callable[[ModuleType], str]] = {"apps": _apps_description}
"""What a key of the program means that neither Pulumi.yaml nor the resource's inputs describe."""


def program_keys_table() -> str:
    """The config keys of this repository's program: every one it reads (``PROGRAM_KEYS``),
    its default and description from ``Pulumi.yaml`` where declared there, else the resource
    input's of the same name."""
    main = program()
    declared = project_config()
    inputs = {camel(name): name for name in NAMES}
    stranger = sorted(set(declared) - set(main.PROGRAM_KEYS))
    if stranger:
        raise GeneratorError(
            f"{PROJECT_FILE.name} declares {stranger}, which the program does not read"
        )
    rows = []
    for key in main.PROGRAM_KEYS:
        given = declared.get(key) or {}
        name = inputs.get(key)
        if "default" in given:
            if name in DEFAULTS and DEFAULTS[name] != given["default"]:
                raise GeneratorError(
                    f"{PROJECT_FILE.name}'s default of {key} ({given['default']!r}) is not the "
                    f"resource's ({DEFAULTS[name]!r}, recall_provider/core/spec.py)"
                )
            default = _literal(given["default"])
        else:
            default = "required" if name in REQUIRED else "none"
        if "description" in given:
            meaning = str(given["description"])
        elif name is not None:
            meaning = description(name)
        elif key in UNDECLARED:
            meaning = UNDECLARED[key](main)
        else:
            raise GeneratorError(
                f"{main.PROJECT}:{key} has no description: declare it in {PROJECT_FILE.name}'s "
                "config, or say it in UNDECLARED of scripts/doc_tables.py"
            )
        if key in main.SECRET_KEYS:
            secrecy = "yes"
        elif key == main.APPS:
            secrecy = "its " + ", ".join(f"`{k}`" for k in main.SECRET_KEYS)
        else:
            secrecy = ""
        rows.append((f"`{main.PROJECT}:{key}`", default, secrecy, meaning))
    return _table(("key", "default", "secret", "description"), rows)


TABLES: dict[str, Callable[[], str]] = {
    "settings": settings_table,
    "inputs": inputs_table,
    "outputs": outputs_table,
    "error-codes": error_codes_table,
    "program-keys": program_keys_table,
}
"""Each generated table by the name its markers give."""


def render(text: str) -> str:
    """``text`` with every generated table made again (GeneratorError for an unknown name)."""
    made: dict[str, str] = {}

    def fill(found: re.Match[str]) -> str:
        name = found["name"]
        if name not in TABLES:
            raise GeneratorError(f"no generated table {name!r}: the tables are {sorted(TABLES)}")
        if name not in made:
            made[name] = TABLES[name]()
        return found["open"] + made[name] + found["close"]

    return MARKED.sub(fill, text)


def stale() -> list[Path]:
    """The docs whose generated tables differ from what the declarations make."""
    return [doc for doc in documents() if render(doc.read_text("utf-8")) != doc.read_text("utf-8")]


def main(args: list[str]) -> int:
    """``python3 scripts/docs.py [--check]``: write the stale tables, or (``--check``) name
    them; the exit status is every command's (a stale table is a finding)."""
    if args not in ([], ["--check"]):
        print(f"usage: {REGENERATE} [--check]", file=sys.stderr)
        return ExitStatus.CANNOT_RUN
    try:
        outdated = stale()
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitStatus.CANNOT_RUN
    for doc in outdated:
        if args:
            print(f"{doc.relative_to(ROOT)}: a generated table is stale: run {REGENERATE}")
        else:
            doc.write_text(render(doc.read_text("utf-8")), "utf-8")
            print(f"{doc.relative_to(ROOT)}: tables written")
    return ExitStatus.FINDING if args and outdated else ExitStatus.OK
