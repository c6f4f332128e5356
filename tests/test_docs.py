"""The docs hold to the code: README, CONTRIBUTING and every page of docs/.

- Every command of their ``sh`` blocks is checked: each ``make`` line names a target of the
  Makefile; each ``python3 scripts/...`` line names a script whose command (and subcommand)
  accepts every option the line gives, asked as a user would, with the system's python3 and no
  virtualenv activated; each ``recall-zoom`` line likewise, against the installed command; each
  ``pip install`` line installs this clone with extras it declares; each ``read`` of a secret
  reads it without echo, for a command of its block that names the variable; each ``pulumi``
  line lies in a block that a real-CLI test runs as written (``WALKED``).
- A ``<placeholder>`` is the only use of angle brackets, and optional parts are never shown in
  ``[brackets]``; a block with a command that needs the Pulumi CLI says so on its first line;
  no secret is given on a command line.
- The generated tables are what ``scripts/docs.py`` makes of the declarations; the Python
  examples are the programs the tests run; every exit status the docs name is the one rule's
  (``ExitStatus``), and every minimum Pulumi version is the one that ``Pulumi.yaml`` requires.
"""

from __future__ import annotations

import json
import re
import runpy
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import tomllib
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from recall_provider.exit_status import ExitStatus
from recall_provider.native.schema import schema
from tests.docs_reader import Anchor, Block, blocks, commands, doc_block, doc_text
from tests.helpers import load_script
from tests.real_cli import ROOT

generator = load_script("doc_tables")
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
BUILTINS = ("read", "export")
"""The shell's own commands that a block may use: to read a secret without echo."""
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
    """What the walk checks a line as: make, script, pulumi, pip, cd, recall-zoom, a shell
    builtin, or a script's shape."""
    first = words(line)[0]
    if first == "python3" and words(line)[1].startswith("scripts/"):
        return "script"
    if first in BUILTINS:
        return "builtin"
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


def options(argv: list[str]) -> list[str]:
    """The options a command line gives, without their ``=value``."""
    return [word.split("=", 1)[0] for word in argv if word.startswith("-")]


def offers(shown: str, option: str) -> bool:
    """Whether a command's ``--help`` names ``option`` itself: ``--app`` is not ``--app-id``."""
    return re.search(rf"(^|[\s,\[]){re.escape(option)}(?=[\s,=\]\[|)]|$)", shown) is not None


def test_an_option_is_found_only_by_its_whole_name() -> None:
    shown = "usage: logs [--app-id ID] [--stack STACK]\n  -o OUTPUT, --output OUTPUT\n  --json"
    assert offers(shown, "--app-id")
    assert not offers(shown, "--app"), "a prefix of another option is not that option"
    assert offers(shown, "--stack")
    assert offers(shown, "-o")
    assert offers(shown, "--output")
    assert offers(shown, "--json")
    assert not offers(shown, "--js")


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
    for option in options(rest):
        assert offers(shown, option), f"{line}: {option}?"


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
    for option in options(rest):
        assert offers(shown.stdout, option), f"{line}: {option}?"


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


SILENT_READ = re.compile(r"read -rs (?P<var>[A-Z_]+) && export (?P=var)")
"""How a block reads a secret: without echo, into a variable the commands after it read."""
SECRET_NAME = re.compile(r"SECRET|TOKEN|KEY|PASSPHRASE|PASSWORD")


BUILTIN_LINES = [(doc, line) for doc, line in LINES if kind(line) == "builtin"]


@pytest.mark.parametrize(("doc", "line"), BUILTIN_LINES)
def test_a_secret_is_read_without_echo_for_a_command_that_reads_it(doc: str, line: str) -> None:
    found = SILENT_READ.fullmatch(line)
    assert found is not None, (
        f"{doc}: {line}: the shell's own commands are `read -rs VAR && export VAR`"
    )
    block = next(b for b in SHELL if b.doc == doc and line in commands(b.body))
    after = commands(block.body)[commands(block.body).index(line) + 1 :]
    helps = [
        help_of(words(later)[1].removeprefix("scripts/"), None)
        for later in after
        if kind(later) == "script"
    ]
    assert any(found["var"] in shown for shown in helps), (
        f"{doc}: {line}: no command after it in its block names {found['var']} in its --help"
    )


@pytest.mark.parametrize(("doc", "line"), LINES, ids=ids([line for _, line in LINES]))
def test_no_secret_is_given_on_a_command_line(doc: str, line: str) -> None:
    # A value typed on the command line stays in the shell's history and the process list.
    for name, value in re.findall(r"(?:^|&& |; )([A-Z_]+)=(\S+)", line):
        if SECRET_NAME.search(name):
            assert value.lstrip('"').startswith("$("), (
                f"{doc}: {line}: {name} is read from a file or a prompt, never typed in"
            )


def test_the_check_for_secrets_on_the_command_line_can_fail() -> None:
    with pytest.raises(AssertionError):
        test_no_secret_is_given_on_a_command_line(
            "doc", "ZOOM_WEBHOOK_SECRET=<Secret Token> python3 scripts/forwarder.py"
        )
    test_no_secret_is_given_on_a_command_line(
        "doc", 'RECALL_API_KEY="$(cat "$key_file")" python3 scripts/cli.py health --all'
    )


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
    "program-keys": "docs/installation-configuration.md",
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
    program = generator.program()
    keys = generator.program_keys_table().splitlines()[2:]
    assert [row.split(" | ")[0] for row in keys] == [
        f"| `{program.PROJECT}:{key}`" for key in program.PROGRAM_KEYS
    ]
    for key in program.SECRET_KEYS:
        assert f"| `{program.PROJECT}:{key}` | required | yes |" in "\n".join(keys)
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key, given in declared.items():
        row = next(r for r in keys if r.startswith(f"| `{program.PROJECT}:{key}` |"))
        assert f"| {generator._literal(given['default'])} |" in row
        assert row.endswith(f"| {given['description']} |")


def test_reading_the_program_does_not_run_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run, the program would register resources with an engine that is not there; the
    # language host runs it as __main__, the generator under another name.
    program = tmp_path / "__main__.py"
    program.write_text(
        'PROGRAM_KEYS = ("kind",)\n\ndef main():\n    raise SystemExit("ran")\n\n'
        'if __name__ == "__main__":\n    main()\n'
    )
    monkeypatch.setattr(generator, "PROGRAM", program)
    monkeypatch.setitem(sys.modules, "recall_zoom_program", ModuleType("restored at teardown"))
    assert generator.program.__wrapped__().PROGRAM_KEYS == ("kind",)
    with pytest.raises(SystemExit, match="ran"):
        runpy.run_path(str(program), run_name="__main__")


def test_a_table_the_generator_does_not_know_is_an_error() -> None:
    with pytest.raises(generator.GeneratorError, match="no-such-table"):
        generator.render("<!-- generated:no-such-table -->\n<!-- /generated -->")


EXAMPLES = "docs/_index.md"
DYNAMIC_EXAMPLES: tuple[Anchor, ...] = (
    (EXAMPLES, "### Python, dynamic resource"),
    ("docs/reference/zoom-oauth-app.md", "In a Python program, with the dynamic resource"),
)
"""Where the docs show the dynamic resource in a whole program."""


@pytest.mark.parametrize(("doc", "after"), DYNAMIC_EXAMPLES)
def test_the_python_example_is_the_example_program(doc: str, after: str) -> None:
    shown = doc_block(doc, after, "python")
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


INTERRUPTED = 128 + signal.SIGINT
"""The shell's exit status of a command that Ctrl-C stopped."""
RULE: dict[int, str] = {
    ExitStatus.OK: "all well",
    ExitStatus.FINDING: "a finding",
    ExitStatus.CANNOT_RUN: "could not run",
    INTERRUPTED: "stopped by Ctrl-C",
}
"""Each exit status by the words the docs name it with: the one rule's, and Ctrl-C's."""
EXIT_PARAGRAPH = re.compile(r"^\*\*Exit status\*\*.*?(?=\n[ \t]*\n|\Z)", re.M | re.S)
EXIT_INLINE = re.compile(r"\bexit(?:s| status)? (\d+)\b")


def wrong_exit_statuses(text: str) -> list[str]:
    """Each exit status that ``text`` names (every number of an ``**Exit status**`` paragraph,
    and each ``exits N`` or ``exit status N`` of its prose) without the words of its number in
    the rule after it: ``1 a finding``, ``exits 2 (could not run)``."""
    prose = FENCES.sub("", text)
    named = [
        (number[1], paragraph[0][number.end() :])
        for paragraph in EXIT_PARAGRAPH.finditer(prose)
        for number in re.finditer(r"\b(\d+)\b", paragraph[0])
    ]
    named += [(found[1], prose[found.end() :]) for found in EXIT_INLINE.finditer(prose)]
    wrong = []
    for number, after in named:
        said = " ".join(after[:80].split())
        meant = RULE.get(int(number))
        if meant is None or not re.match(rf"[\s,:(]*{re.escape(meant)}\b", said):
            wrong.append(f"{number} {said[:40]}")
    # And the other way: the rule's words after any number name that number's status.
    flat = " ".join(prose.split())
    for status, meant in RULE.items():
        for found in re.finditer(rf"\b(\d+)[\s,:(|]*{re.escape(meant)}\b", flat):
            if int(found[1]) != status:
                wrong.append(found[0])
    return wrong


def exit_statuses_named(text: str) -> set[int]:
    prose = FENCES.sub("", text)
    return {int(n) for n, meant in RULE.items() if re.search(rf"\b{n}\W+{re.escape(meant)}", prose)}


def test_the_docs_name_exit_statuses_as_the_rule_does() -> None:
    # The rule's words are ExitStatus's own.
    for status in ExitStatus:
        assert re.search(
            rf"\b{status.value} (the command )?{RULE[status]}\b", ExitStatus.__doc__ or ""
        )
    wrong = {
        doc.relative_to(ROOT).as_posix(): wrong_exit_statuses(doc.read_text("utf-8"))
        for doc in DOCS
    }
    assert {doc: said for doc, said in wrong.items() if said} == {}
    named = set().union(*(exit_statuses_named(doc.read_text("utf-8")) for doc in DOCS))
    assert named == set(RULE), "every exit status is said somewhere"


def test_the_check_of_exit_statuses_can_fail() -> None:
    assert wrong_exit_statuses("**Exit status**: 0 all well; 1 a finding; 2 could not run.") == []
    assert wrong_exit_statuses("It exits 1 (a finding) when an app is not `ok`.") == []
    assert wrong_exit_statuses("**Exit status**: 0 all well; 3 when events were lost.") == [
        "3 when events were lost."
    ]
    assert wrong_exit_statuses("It exits 1 when it cannot listen.") == ["1 when it cannot listen."]
    assert wrong_exit_statuses("It exits 2 (a finding).") == ["2 (a finding).", "2 (a finding"]
    assert wrong_exit_statuses("One rule: 0 all well, 2 a finding.") == ["2 a finding"]
    assert wrong_exit_statuses("```sh\nexit 3\n```\n") == [], "a script's own exit is no claim"


def test_every_minimum_pulumi_version_is_the_one_pulumi_yaml_requires() -> None:
    required = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["requiredPulumiVersion"]
    floor = re.fullmatch(r">=\s*(\d+\.\d+\.\d+)", required)
    assert floor is not None, required
    said = {
        (doc.relative_to(ROOT).as_posix(), version)
        for doc in DOCS
        for version in re.findall(r"\b(\d+\.\d+\.\d+)\W{0,2} or newer", doc.read_text("utf-8"))
    }
    assert {doc for doc, _ in said} >= {"README.md", "docs/installation-configuration.md"}
    assert {version for _, version in said} == {floor[1]}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (sdk,) = [d for d in project["dependencies"] if d.startswith("pulumi>=")]
    sdk_floor = sdk.removeprefix("pulumi>=").split(",")[0]
    assert floor[1].startswith(f"{sdk_floor}."), "the CLI released with the SDK's floor"
    installation = doc_text("docs/installation-configuration.md")
    assert f"`pulumi>={sdk_floor}`" in installation
    (tested,) = [d for d in project["optional-dependencies"]["dev"] if d.startswith("pulumi==")]
    assert f"CLI **{tested.removeprefix('pulumi==')}**" in installation


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


def test_the_front_page_lists_every_page_of_the_docs_and_the_overview_points_to_it() -> None:
    listed = {
        (ROOT / target.partition("#")[0]).resolve()
        for target in LINK.findall(doc_text("README.md").split("## Documentation", 1)[1])
    }
    pages = set((ROOT / "docs").rglob("*.md"))
    assert sorted(p.relative_to(ROOT).as_posix() for p in pages - listed) == []
    assert "](../README.md#documentation)" in doc_text(EXAMPLES)


def test_the_link_check_can_fail() -> None:
    assert slug("## 1. Choose a backend".lstrip("# ")) == "1-choose-a-backend"
    assert slug("An interrupted `pulumi up`") == "an-interrupted-pulumi-up"
    assert "no-such-heading" not in anchors(ROOT / "README.md")
