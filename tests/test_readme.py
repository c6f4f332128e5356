"""README's commands run as written: a walk over its shell blocks.

Each `make` line names a target of the Makefile; each `python3 scripts/...` line names a script
whose command (and subcommand) accepts every option the line gives, asked as a user would, with
the system's python3 and no virtualenv activated. Lines of the Pulumi CLI run as written through
the real CLI in tests/test_cli_e2e.py (every one of them lies in a block it walks); `pip
install` lines are left to tests/test_library.py; a shell script's own lines (for, done, exit)
hold no command.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from functools import cache

import pytest

from recall_provider.errors import ErrorCode
from tests.host_harness import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SUBCOMMANDS = {"cli.py": ("manifest", "logs", "health"), "dev.py": ()}


def shell_lines() -> list[str]:
    """Every command line of README's sh blocks: continuations joined, comments dropped."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def words(line: str) -> list[str]:
    """The line's words, a leading VAR=value and README's [optional] brackets dropped."""
    text = re.sub(r"\$\([^)]*\)", "VALUE", line)  # "$(pulumi stack output ...)"
    text = re.sub(r"<[^>]*>", "VALUE", text).replace("[", " ").replace("]", " ")
    parts = shlex.split(text)
    while parts and re.match(r"^[A-Z_]+=", parts[0]):
        parts.pop(0)
    return parts


LINES = shell_lines()
MAKE = [line for line in LINES if line.startswith("make ")]
SCRIPTS = [line for line in LINES if "scripts/" in line and not line.startswith("make ")]


def test_readme_shows_the_commands() -> None:
    assert MAKE
    assert SCRIPTS
    others = [
        line
        for line in LINES
        if line not in MAKE
        and line not in SCRIPTS
        and words(line)[0] not in ("pulumi", "pip", "cd", "for", "done", "exit")
    ]
    assert others == [], "a command the walk does not know how to check"


@cache
def make_targets() -> dict[str, str]:
    text = (ROOT / "Makefile").read_text()
    return dict(re.findall(r"^([a-z-]+):\s*## (.*)$", text, re.M))


@pytest.mark.parametrize("line", MAKE)
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


@pytest.mark.parametrize("line", SCRIPTS)
def test_every_script_line_uses_options_its_command_knows(line: str) -> None:
    parts = words(line)
    assert parts[:1] == ["python3"], f"{line}: README runs scripts with the system's python3"
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


def test_every_pulumi_line_is_run_by_the_end_to_end_walk() -> None:
    from tests import test_native_cli, test_native_sdk_cli
    from tests.test_cli_e2e import WALKED, readme_commands

    anchors = (*WALKED, *test_native_cli.WALKED, *test_native_sdk_cli.WALKED)
    walked = {line for after in anchors for line in readme_commands(after)}
    pulumi = [line for line in LINES if words(line)[0] == "pulumi"]
    assert pulumi
    assert [line for line in pulumi if re.sub(r"\s+#.*$", "", line) not in walked] == []


def test_the_error_code_table_is_the_declared_codes() -> None:
    # The codes and their meanings are declared once, in ErrorCode; README's table is theirs.
    section = README.split("### Error codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (.+?) \|$", section, re.M)
    assert rows == [(code.value, code.description) for code in ErrorCode]
