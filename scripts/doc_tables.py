"""The docs' generated tables, made from the declarations they describe (what
``python3 scripts/docs.py`` runs, in the project's virtualenv).

Each table sits in a doc between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``:
the provider settings from ``recall_provider.settings``, the resource's inputs and outputs from
``recall_provider.core.spec`` through the native schema, the error codes from
``recall_provider.codes``. ``tests/test_docs.py`` compares every doc with what ``render`` makes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from recall_provider.client import REGION_URLS
from recall_provider.codes import ErrorCode
from recall_provider.core.spec import IMMUTABLE, MUTABLE, NAMES, OUTPUT_NAMES, PROVIDER_ONLY, camel
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
    assert defaults.keys() == SETTINGS.keys(), "a setting without its default in the docs"
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
    # What a change does, beyond Recall's own rule (immutable: replace; mutable: one PATCH).
    provider_only = {
        "adopt_app_id": "none while it names the managed app (or is removed); naming another "
        "app replaces this one by that one",
        "validate_webhook": "update, with no request to Recall's API (turned on, the self-check "
        "runs)",
    }
    assert set(provider_only) == set(PROVIDER_ONLY), "an input whose change the docs do not say"
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
            change = provider_only[name]
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


TABLES: dict[str, Callable[[], str]] = {
    "settings": settings_table,
    "inputs": inputs_table,
    "outputs": outputs_table,
    "error-codes": error_codes_table,
}
"""Each generated table by the name its markers give."""


def render(text: str) -> str:
    """``text`` with every generated table made again; an unknown name raises KeyError."""
    made: dict[str, str] = {}

    def fill(found: re.Match[str]) -> str:
        name = found["name"]
        if name not in made:
            made[name] = TABLES[name]()
        return found["open"] + made[name] + found["close"]

    return MARKED.sub(fill, text)


def stale() -> list[Path]:
    """The docs whose generated tables differ from what the declarations make."""
    return [doc for doc in documents() if render(doc.read_text("utf-8")) != doc.read_text("utf-8")]


def main(args: list[str]) -> int:
    """``python3 scripts/docs.py [--check]``: write the stale tables, or (``--check``) name
    them and exit 1."""
    if args not in ([], ["--check"]):
        print("usage: python3 scripts/docs.py [--check]", file=sys.stderr)
        return 2
    outdated = stale()
    for doc in outdated:
        if args:
            print(f"{doc.relative_to(ROOT)}: a generated table is stale: run {REGENERATE}")
        else:
            doc.write_text(render(doc.read_text("utf-8")), "utf-8")
            print(f"{doc.relative_to(ROOT)}: tables written")
    return 1 if args and outdated else 0
