"""The docs hold to the code: README, CONTRIBUTING and every page of docs/.

- Every command of their ``sh`` blocks runs as written: each ``make`` line names a target of
  the Makefile; each ``python3 scripts/...`` line names a script whose command (and subcommand)
  accepts every option the line gives, asked as a user would, with the system's python3 and no
  virtualenv activated; each ``pip install`` line installs this clone with extras it declares;
  each ``pulumi`` line lies in a block that a real-CLI test runs as written (``WALKED``).
- A ``<placeholder>`` is the only use of angle brackets, and optional parts are never shown in
  ``[brackets]``; a block with a command that needs the Pulumi CLI says so on its first line.
- The generated tables are what ``scripts/docs.py`` makes of the declarations, and the
  overview's examples are the programs the tests run.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import tomllib
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from recall_provider.native.schema import schema
from tests.docs_reader import Anchor, Block, blocks, commands, doc_block, doc_text
from tests.real_cli import ROOT


def load_generator() -> ModuleType:
    # As `python3 scripts/docs.py` runs it: its folder first on the path.
    script = ROOT / "scripts" / "doc_tables.py"
    if str(script.parent) not in sys.path:
        sys.path.insert(0, str(script.parent))
    spec = importlib.util.spec_from_file_location("doc_tables", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = load_generator()
DOCS: list[Path] = generator.documents()
BLOCKS: list[Block] = [block for doc in DOCS for block in blocks(doc)]
SHELL = [block for block in BLOCKS if block.language == "sh"]
LINES: list[tuple[str, str]] = [
    (block.doc, line) for block in SHELL for line in commands(block.body)
]
"""Every command line of the docs, with the doc it is in."""
SUBCOMMANDS = {"cli.py": ("manifest", "logs", "health"), "dev.py": ()}
COMMAND = "recall-zoom"
"""The console command the package installs (beside the interpreter, as pip puts it)."""
SHAPE = ("for", "done", "exit")
"""A shell script's own lines: they hold no command."""
CLI_MARK = re.compile(r"^#.*\bneeds the Pulumi CLI\b")
PLACEHOLDER = re.compile(r"<[^<>\n]+>")


def words(line: str) -> list[str]:
    """The line's words: placeholders and ``$(...)`` as a stand-in value, a leading VAR=value
    dropped."""
    text = re.sub(r"\$\([^)]*\)", "VALUE", line)  # "$(pulumi stack output ...)"
    parts = shlex.split(PLACEHOLDER.sub("VALUE", text))
    while parts and re.match(r"^[A-Z_]+=", parts[0]):
        parts.pop(0)
    return parts


def kind(line: str) -> str:
    """What the walk checks a line as: make, script, pulumi, pip, cd, or a script's shape."""
    first = words(line)[0]
    if first == "python3" and words(line)[1].startswith("scripts/"):
        return "script"
    return first if first in ("make", "pulumi", "pip", "cd", COMMAND, *SHAPE) else "unknown"


def of_kind(name: str) -> list[str]:
    return [line for _, line in LINES if kind(line) == name]


def ids(lines: list[str]) -> list[str]:
    return [line[:60] for line in lines]


def test_the_docs_are_found_and_show_commands() -> None:
    assert {"README.md", "CONTRIBUTING.md", "docs/_index.md"} <= {
        p.relative_to(ROOT).as_posix() for p in DOCS
    }
    assert (ROOT / "docs" / "reference" / "zoom-oauth-app.md") in DOCS
    for name in ("make", "script", "pulumi", "pip"):
        assert of_kind(name), f"no {name} line: the walk of it would check nothing"


def test_every_command_is_one_the_walk_checks() -> None:
    assert [line for _, line in LINES if kind(line) == "unknown"] == []


def test_shell_blocks_are_fenced_sh_and_every_block_names_its_language() -> None:
    unnamed = [(b.doc, b.first_line) for b in BLOCKS if not b.language]
    assert unnamed == [], "a block without a language escapes the walk"
    other = [(b.doc, b.language) for b in BLOCKS if b.language in ("bash", "shell", "console")]
    assert other == [], "shell commands are fenced ```sh, which the walk reads"


@pytest.mark.parametrize(("doc", "line"), LINES, ids=ids([line for _, line in LINES]))
def test_placeholders_are_the_only_angle_brackets_and_nothing_is_optional(
    doc: str, line: str
) -> None:
    bare = PLACEHOLDER.sub("VALUE", line)
    assert "<" not in bare, f"{doc}: {line}: `<` is a placeholder's, never a redirection"
    assert not [w for w in words(line) if w.startswith("[")], (
        f"{doc}: {line}: no [optional] parts: show another line instead"
    )


def needs_the_cli(line: str) -> bool:
    """Whether the line runs the Pulumi CLI, itself or through a script or a make target."""
    parts = words(line)
    if parts[0] == "pulumi" or "$(pulumi" in line or "--stack" in parts:
        return True
    if parts[0] == "make":
        return dev_command(recipe(parts[1]))
    return len(parts) > 1 and parts[1] == "scripts/dev.py" and dev_command(line)


def dev_command(command: str) -> bool:
    """Whether a command is one of scripts/dev.py's that drive the dev stack (all but the
    emulator's own)."""
    parts = command.split()
    if "scripts/dev.py" not in parts:
        return False
    rest = parts[parts.index("scripts/dev.py") + 1 :]
    return not rest or not rest[0].startswith("emulator-")


@pytest.mark.parametrize("block", SHELL, ids=[f"{b.doc}:{b.first_line[:40]}" for b in SHELL])
def test_a_block_that_needs_the_pulumi_cli_says_so(block: Block) -> None:
    needs = [line for line in commands(block.body) if needs_the_cli(line)]
    marked = bool(CLI_MARK.match(block.first_line))
    assert marked == bool(needs), (
        f"{block.doc}: a block {'with' if needs else 'without'} a command of the Pulumi CLI "
        f"({needs[:1]}) starts {'with' if needs else 'without'} `# needs the Pulumi CLI`"
    )


@cache
def make_targets() -> dict[str, str]:
    text = (ROOT / "Makefile").read_text()
    return dict(re.findall(r"^([a-z-]+):\s*## (.*)$", text, re.M))


def recipe(target: str) -> str:
    """The first command of a Makefile target."""
    found = re.search(rf"^{re.escape(target)}:.*\n\t(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert found is not None, f"no target {target}"
    return found[1]


@pytest.mark.parametrize("line", of_kind("make"))
def test_every_make_line_names_a_documented_target(line: str) -> None:
    (target,) = words(line)[1:]
    assert target in make_targets(), f"{line}: no such target with a ## description"


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_help_lists_every_target() -> None:
    shown = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, check=True).stdout  # fmt: skip
    for target, what in make_targets().items():
        assert re.search(rf"^make {re.escape(target)}\s+{re.escape(what)}$", shown, re.M)


@cache
def help_of(script: str, subcommand: str | None) -> str:
    """``python3 scripts/<script> [subcommand] --help`` as a user runs it."""
    python3 = shutil.which("python3") or "python3"
    argv = [python3, f"scripts/{script}", *([subcommand] if subcommand else []), "--help"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            check=False)  # fmt: skip
    assert result.returncode == 0, f"{' '.join(argv[1:])}: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.mark.parametrize("line", of_kind("script"))
def test_every_script_line_uses_options_its_command_knows(line: str) -> None:
    parts = words(line)
    assert parts[0] == "python3", f"{line}: the docs run scripts with the system's python3"
    script = parts[1].removeprefix("scripts/")
    assert (ROOT / "scripts" / script).is_file(), f"{line}: no such script"
    if script in ("test.py", "benchmarks.py"):
        return  # their arguments are pytest's and the benchmark's, checked by their own tests
    rest = parts[2:]
    subcommand = rest[0] if rest and rest[0] in SUBCOMMANDS.get(script, ()) else None
    if script == "dev.py":
        assert rest[0] in help_of(script, None), f"{line}: dev.py has no command {rest[0]}"
        return
    shown = help_of(script, subcommand)
    for option in (w for w in rest if w.startswith("-")):
        assert re.search(rf"(^|[\s,\[]){re.escape(option)}\b", shown), f"{line}: {option}?"


@pytest.mark.parametrize("line", of_kind(COMMAND))
def test_every_recall_zoom_line_uses_options_its_command_knows(line: str) -> None:
    command = Path(sys.executable).parent / COMMAND
    assert command.is_file(), f"{line}: no {COMMAND} installed beside {sys.executable}"
    rest = words(line)[1:]
    shown = subprocess.run(
        [str(command), *rest[:1], "--help"], capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert shown.returncode == 0, f"{line}: {shown.stderr}"
    for option in (w for w in rest if w.startswith("-")):
        assert re.search(rf"(^|[\s,\[]){re.escape(option)}\b", shown.stdout), f"{line}: {option}?"


@pytest.mark.parametrize("line", of_kind("pip"))
def test_every_pip_line_installs_this_clone_with_extras_it_declares(line: str) -> None:
    # The install itself is tests/test_library.py's: this clone, into a fresh virtualenv.
    argv = shlex.split(line)
    assert argv[:2] == ["pip", "install"], line
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for target in argv[2:]:
        found = re.fullmatch(r"(<path-to-recall-zoom>|\.)(?:\[([a-z,]+)\])?", target)
        assert found is not None, f"{line}: {target} is not this clone"
        extras = set(filter(None, (found[2] or "").split(",")))
        assert extras <= set(declared), f"{line}: no extra {extras - set(declared)}"


@pytest.mark.parametrize("line", of_kind("cd"))
def test_every_cd_line_names_a_folder_of_the_clone_or_a_placeholder(line: str) -> None:
    (_, where) = shlex.split(line)
    assert PLACEHOLDER.fullmatch(where) or (ROOT / where).is_dir(), line


def walked() -> list[Anchor]:
    """Every block of `pulumi` lines that a real-CLI test runs as written."""
    from tests import test_cli_e2e, test_native_cli, test_native_sdk_cli

    return [*test_cli_e2e.WALKED, *test_native_cli.WALKED, *test_native_sdk_cli.WALKED]


def test_every_pulumi_line_is_run_by_a_real_cli_test() -> None:
    run = {(doc, line) for doc, after in walked() for line in commands(doc_block(doc, after, "sh"))}
    pulumi = [(doc, line) for doc, line in LINES if kind(line) == "pulumi"]
    assert [entry for entry in pulumi if entry not in run] == []


def test_every_walked_anchor_names_one_place_in_a_doc() -> None:
    for doc, after in walked():
        assert (ROOT / doc) in DOCS, doc
        assert doc_text(doc).count(after) == 1, f"{doc}: {after!r}"


def test_the_generated_tables_are_what_the_declarations_make() -> None:
    stale = [p.relative_to(ROOT).as_posix() for p in generator.stale()]
    assert stale == [], f"stale generated tables in {stale}: run {generator.REGENERATE}"


PLACES = {
    "settings": "docs/installation-configuration.md",
    "inputs": "docs/reference/zoom-oauth-app.md",
    "outputs": "docs/reference/zoom-oauth-app.md",
    "error-codes": "docs/guides/troubleshooting.md",
}
"""Where each generated table stands: the page a reader looks for it on."""


def test_every_generated_table_has_its_page() -> None:
    assert set(PLACES) == set(generator.TABLES)


@pytest.mark.parametrize(("name", "doc"), PLACES.items())
def test_each_table_stands_where_a_reader_looks_for_it(name: str, doc: str) -> None:
    assert name in generator.TABLES
    assert f"<!-- generated:{name} -->\n" in doc_text(doc)


def test_the_check_of_the_tables_can_fail() -> None:
    text = doc_text("docs/reference/zoom-oauth-app.md")
    broken = text.replace("| `client_id` | `clientId` |", "| `client_id` | `clientID` |", 1)
    assert broken != text
    assert generator.render(broken) == text, "a hand edit is undone by the generator"


def test_the_generator_reads_the_declarations() -> None:
    from recall_provider.codes import ErrorCode
    from recall_provider.core.spec import NAMES, OUTPUT_NAMES, SECRETS, camel, description
    from recall_provider.settings import SETTINGS

    rows = generator.error_codes_table().splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{code.value}`" for code in ErrorCode]
    inputs = generator.inputs_table()
    for name in NAMES:
        assert f"| `{name}` | `{camel(name)}` |" in inputs
        assert description(name).replace("``", "`") in inputs
    outputs = generator.outputs_table()
    for name in OUTPUT_NAMES:
        row = next(r for r in outputs.splitlines() if r.startswith(f"| `{name}` |"))
        assert ("| always |" in row) is (name in SECRETS)
    settings = generator.settings_table()
    for key, setting in SETTINGS.items():
        assert f"| `{key}` | `{setting.env}` |" in settings


EXAMPLES = "docs/_index.md"


def test_the_python_example_is_the_example_program() -> None:
    shown = doc_block(EXAMPLES, "### Python, dynamic resource", "python")
    assert shown in (ROOT / "examples" / "own-program" / "__main__.py").read_text()


def as_shown(program: str, client_id: str) -> str:
    """A tested program as the overview shows it: its literal client id a placeholder."""
    assert client_id in program
    return textwrap.dedent(program).replace(client_id, "<Zoom Client ID>").strip()


def test_the_native_python_and_typescript_examples_are_the_tested_programs() -> None:
    from tests.test_native_sdk_cli import NATIVE_PROGRAM
    from tests.test_native_ts_cli import PROGRAM

    python = doc_block(EXAMPLES, "### Python, native plugin", "python")
    assert python.strip() == as_shown(NATIVE_PROGRAM, "zoomClientMove")
    typescript = doc_block(EXAMPLES, "### TypeScript", "typescript")
    assert typescript.strip() == as_shown(PROGRAM, "zoomClientTs")


def test_the_go_example_is_the_tested_program() -> None:
    source = (ROOT / "tests" / "go_program" / "program.go").read_text()
    body = source[source.index("func program(") :].split("\n", 1)[1]
    body = body[: body.rindex("}")]
    lines = [line.strip() for line in as_shown(body, "zoomClientGo").splitlines() if line.strip()]
    shown = [line.strip() for line in doc_block(EXAMPLES, "### Go", "go").splitlines()]
    start = shown.index(lines[0])
    assert shown[start : start + len(lines)] == lines
    for imported in re.findall(r'^\t"(.+)"$', source, re.M):
        assert f'"{imported}"' in shown


def test_the_license_is_apache_2_everywhere_it_is_declared() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:5] == ["Apache", "License", "Version", "2.0,", "January"]
    assert "END OF TERMS AND CONDITIONS" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    assert "LICENSE" in project["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    assert schema()["license"] == "Apache-2.0"
    assert json.loads((ROOT / "provider" / "schema.json").read_text())["license"] == "Apache-2.0"


def test_the_changelog_has_an_unreleased_section_and_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings[:2] == ["Unreleased", version]


def slug(heading: str) -> str:
    """A heading's anchor, as GitHub makes it: lower case, punctuation dropped, spaces to
    hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text))


def anchors(path: Path) -> set[str]:
    text = FENCES.sub("", path.read_text("utf-8"))
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


FENCES = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_every_link_of_a_doc_finds_its_file_and_heading(doc: Path) -> None:
    broken = []
    for found in LINK.finditer(FENCES.sub("", doc.read_text("utf-8"))):
        target = found["target"]
        if re.match(r"^[a-z]+:", target):
            continue  # a web address: not this repository's to check
        path, _, anchor = target.partition("#")
        where = (doc.parent / path).resolve() if path else doc
        if not where.exists() or (
            anchor and where.suffix == ".md" and anchor not in anchors(where)
        ):
            broken.append(target)
    assert broken == []


def test_the_link_check_can_fail() -> None:
    assert slug("## 1. Choose a backend".lstrip("# ")) == "1-choose-a-backend"
    assert slug("An interrupted `pulumi up`") == "an-interrupted-pulumi-up"
    assert "no-such-heading" not in anchors(ROOT / "README.md")
