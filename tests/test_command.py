"""``recall-zoom``, the console command, run as a user runs it (the virtualenv's script): usage
lines naming what was typed, one exit rule for every subcommand, the environment variables in
each help, the emulator and forwarder where their extras are installed; and the scripts' --help,
which makes and installs nothing."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recall_provider import command
from recall_provider.emulator import EmulatorServer
from recall_provider.exit_status import ExitStatus
from recall_provider.forwarder.command import SECRET_ENV
from recall_provider.settings import SETTINGS
from tests.helpers import load_script, make_app, without_settings
from tests.real_cli import ROOT

SCRIPT = Path(sys.executable).parent / command.NAME
"""The console script as the virtualenv's install made it."""
SUBCOMMANDS = ("health", "logs", "manifest", *command.SERVERS)
APP_ID = "32721c6e-0000-4000-8000-00000000c11a"
WEBHOOK_URL = f"https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/{APP_ID}/webhook"


def recall_zoom(
    *args: str, env: dict[str, str] | None = None, script: Path = SCRIPT
) -> subprocess.CompletedProcess[str]:
    """``recall-zoom ARGS``, with none of the provider's settings but those in ``env``."""
    assert script.exists(), f"{script} is not installed: reinstall (python3 scripts/test.py)"
    return subprocess.run(
        [str(script), *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={**without_settings(), "COLUMNS": "400", **(env or {})},
    )  # fmt: skip


def one_line(result: subprocess.CompletedProcess[str], status: ExitStatus) -> str:
    """The one line a failed command said, after checking its exit status."""
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


# -- what it is ---------------------------------------------------------------------------------


def test_pyproject_installs_the_command_under_its_name() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[command.NAME] == f"{command.__name__}:{command.main.__name__}"


def test_its_help_lists_every_subcommand_and_the_exit_rule() -> None:
    result = recall_zoom("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {command.NAME} [-h] COMMAND")
    for name in SUBCOMMANDS:
        assert re.search(rf"\n    {name}\s", result.stdout), name
    assert f"    {command.NAME} health --stack prod" in result.stdout, "examples as typed"
    rule = "exit status: 0 all well; 1 a finding (an app that is not ok); 2 the command could not"
    assert rule in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_usage_line_names_what_the_user_typed(name: str) -> None:
    shown = recall_zoom(name, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: {command.NAME} {name} [-h]")
    assert "exit status: 0 " in shown.stdout
    wrong = recall_zoom(name, "--no-such-option")
    assert wrong.returncode == ExitStatus.CANNOT_RUN
    assert "Traceback" not in wrong.stderr
    # One line; the emulator's argparse puts its usage first.
    said = [line for line in wrong.stderr.splitlines() if not line.startswith((" ", "usage:"))]
    assert len(said) == 1, wrong.stderr
    assert said[0].startswith(f"{command.NAME} {name}: error: ")
    if wrong.stderr.startswith("usage:"):
        assert wrong.stderr.startswith(f"usage: {command.NAME} {name} [-h]")


@pytest.mark.parametrize("name", ["health", "logs"])
def test_the_help_of_a_command_that_calls_recall_names_the_variables_it_reads(name: str) -> None:
    shown = recall_zoom(name, "--help").stdout
    environment = shown[shown.index("\nenvironment:\n") :]
    for key, setting in SETTINGS.items():
        assert f"  {setting.env} ({key}): " in environment
    assert "--region REGION" in shown
    assert "--api-url URL" in shown


def test_the_forwarders_help_names_its_secret() -> None:
    shown = recall_zoom("forwarder", "--help").stdout
    assert f"environment:\n  {SECRET_ENV}: " in shown


def test_an_unknown_subcommand_or_argument_is_a_usage_error() -> None:
    one_line(recall_zoom("status"), ExitStatus.CANNOT_RUN)
    extra = recall_zoom("manifest", "--webhook-url", WEBHOOK_URL, "extra")
    said = one_line(extra, ExitStatus.CANNOT_RUN)
    assert said.startswith(f"{command.NAME} manifest: error: unrecognized arguments: extra")
    assert one_line(recall_zoom(), ExitStatus.CANNOT_RUN).startswith(f"{command.NAME}: error:")


# -- one exit rule ------------------------------------------------------------------------------


def validated_app(emulator: EmulatorServer, hours_ago: float | None) -> str:
    """An app made ten days ago that Zoom last validated ``hours_ago`` (None: never)."""
    made = make_app(emulator)
    now = datetime.now(UTC)
    validated = None if hours_ago is None else now - timedelta(hours=hours_ago)
    emulator.backend.set_times(
        made["id"], created_at=now - timedelta(days=10), webhook_last_validation=validated
    )
    return str(made["id"])


def test_health_exits_0_all_ok_1_a_finding_2_could_not_run(
    fresh_emulator: EmulatorServer,
) -> None:
    key = {"RECALL_API_KEY": "k"}
    ok = validated_app(fresh_emulator, 1)
    never = validated_app(fresh_emulator, None)
    at = ("--api-url", fresh_emulator.url)
    all_ok = recall_zoom("health", "--app-id", ok, *at, env=key)
    assert all_ok.returncode == ExitStatus.OK, all_ok.stderr
    finding = recall_zoom("health", "--app-id", ok, "--app-id", never, *at, env=key)
    assert finding.returncode == ExitStatus.FINDING, finding.stderr
    assert "unvalidated" in finding.stdout
    assert "RECALL_API_KEY" in one_line(recall_zoom("health", "--all", *at), ExitStatus.CANNOT_RUN)
    one_line(recall_zoom("health", "--all", "--region", "mars", env=key), ExitStatus.CANNOT_RUN)


def test_logs_and_manifest_exit_0_done_2_could_not_run(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    key = {"RECALL_API_KEY": "k"}
    app_id = validated_app(fresh_emulator, 1)
    at = ("--api-url", fresh_emulator.url)
    printed = recall_zoom("logs", "--app-id", app_id, *at, env=key)
    assert printed.returncode == ExitStatus.OK, printed.stderr
    assert f"no Recall logs for app {app_id}" in printed.stdout
    said = one_line(recall_zoom("logs", "--app-id", APP_ID, *at, env=key), ExitStatus.CANNOT_RUN)
    assert f"Recall has no app {APP_ID}" in said
    out = tmp_path / "zoom-manifest.json"
    written = recall_zoom("manifest", "--webhook-url", WEBHOOK_URL, "-o", str(out))
    assert written.returncode == ExitStatus.OK, written.stderr
    assert WEBHOOK_URL in out.read_text()
    refused = recall_zoom("manifest", "--webhook-url", "https://example.com/hook")
    assert "is not a Recall webhook URL" in one_line(refused, ExitStatus.CANNOT_RUN)


SERVING = {
    "emulator": ("Recall emulator listening on", ()),
    "forwarder": ("Zoom webhook forwarder listening on", ("--target", WEBHOOK_URL)),
}


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something else listens on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


@pytest.mark.parametrize("name", sorted(SERVING))
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_server_stopped_by_a_signal_exits_0(name: str, signum: int) -> None:
    banner, args = SERVING[name]
    server = subprocess.Popen(
        [str(SCRIPT), name, "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=without_settings(),
    )  # fmt: skip
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith(banner)
        server.send_signal(signum)
        _, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == ExitStatus.OK, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("name", sorted(SERVING))
def test_a_server_that_cannot_listen_exits_2(name: str, taken_port: int) -> None:
    result = recall_zoom(name, "--port", str(taken_port), *SERVING[name][1])
    assert f"cannot listen on 127.0.0.1:{taken_port}" in one_line(result, ExitStatus.CANNOT_RUN)


# -- the extras ---------------------------------------------------------------------------------

# recall-zoom where the servers' packages are not installed: neither werkzeug nor waitress.
WITHOUT_THE_EXTRAS = (
    sys.executable,
    "-c",
    "import sys; sys.modules['werkzeug'] = sys.modules['waitress'] = None; "
    f"sys.argv[0] = {command.NAME!r}; from recall_provider.command import main; main()",
)


def without_the_extras(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WITHOUT_THE_EXTRAS, *args],
        capture_output=True, text=True, timeout=120, check=False, env=without_settings(),
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(SERVING))
def test_without_its_extra_a_server_says_what_to_install_in_one_line(name: str) -> None:
    missing = without_the_extras(name, "--port", "0", *SERVING[name][1])
    said = one_line(missing, ExitStatus.CANNOT_RUN)
    assert f"pip install 'recall-zoom[{name}]'" in said
    shown = without_the_extras(name, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: {command.NAME} {name} [-h]")
    assert without_the_extras("--help").returncode == 0


def test_installed_without_extras_the_servers_say_what_to_install(library_venv: Path) -> None:
    # The package as a user installs it, no extra: its console script, not this checkout's.
    script = library_venv.parent / command.NAME
    assert recall_zoom("--help", script=script).returncode == 0
    for name, (_, args) in SERVING.items():
        assert recall_zoom(name, "--help", script=script).returncode == 0
        started = recall_zoom(name, "--port", "0", *args, script=script)
        said = one_line(started, ExitStatus.CANNOT_RUN)
        assert f"pip install 'recall-zoom[{name}]'" in said


# -- the scripts' --help: nothing made, nothing installed ---------------------------------------

SCRIPTS = {
    "cli": "manifest",
    "emulator": "--state FILE",
    "forwarder": "--target TARGET",
}
"""Each script of the repository, and what its full help shows."""
OWN_HELP = {
    "benchmarks": "Usage: python3 scripts/benchmarks.py",
    "test": "--help` (or `-h`) prints this",
}
"""The scripts that run more than one command: what their help shows where nothing is
installed (the benchmark's own help needs the project; the test command's is its own)."""


venv_module = load_script("_venv")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A checkout without a virtualenv: the scripts and pyproject.toml (recall_provider is the
    one this python has installed)."""
    root = tmp_path / "clone"
    (root / "scripts").mkdir(parents=True)
    for name in ("_venv", *SCRIPTS, *OWN_HELP):
        shutil.copy(ROOT / "scripts" / f"{name}.py", root / "scripts")
    shutil.copy(ROOT / "pyproject.toml", root)
    # What the test command reads before anything is installed.
    (root / "tests").mkdir()
    for name in ("__init__.py", "real_cli.py"):
        shutil.copy(ROOT / "tests" / name, root / "tests")
    return root


def made_in(root: Path) -> set[str]:
    """What is in ``root``, the bytecode of the scripts' own imports apart."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if "__pycache__" not in p.parts}


def run_script(root: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / f"{name}.py"), *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=root,
        env={**os.environ, "COLUMNS": "400"},
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCRIPTS))
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_a_scripts_help_makes_no_virtualenv(clone: Path, name: str, flag: str) -> None:
    before = made_in(clone)
    script = clone / "scripts" / f"{name}.py"
    shown = run_script(clone, name, flag)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: {Path(sys.executable).name} {script} [-h]")
    assert SCRIPTS[name] in shown.stdout, "the full help, from the entry itself"
    assert made_in(clone) == before, "nothing made"
    assert not (clone / ".venv").exists()


def test_a_subcommands_help_makes_no_virtualenv_and_names_the_script(clone: Path) -> None:
    script = clone / "scripts" / "cli.py"
    shown = run_script(clone, "cli", "health", "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: {Path(sys.executable).name} {script} health [-h]")
    assert not (clone / ".venv").exists()


def test_where_nothing_can_import_the_command_its_help_is_the_scripts_own(clone: Path) -> None:
    # A recall_provider that cannot be imported, first on the path the scripts give it.
    broken = clone / "recall_provider"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('no dependencies here')\n")
    before = made_in(clone)
    shown = run_script(clone, "cli", "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("The manifest, logs and health commands on a fresh clone")
    assert "Usage: python3 scripts/cli.py" in shown.stdout
    assert "run the command without --help once" in " ".join(shown.stdout.split())
    assert made_in(clone) == before
    assert "Traceback" not in shown.stderr


def fake_venv(root: Path) -> Path:
    """A virtualenv in ``root`` whose python is this one, logging how it is run; not installed
    (no stamp). Its log's path."""
    log = root / "python-runs.log"
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {sys.executable} "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return log


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for the venv's python")
def test_a_help_runs_in_a_stale_virtualenv_as_it_is(clone: Path) -> None:
    log = fake_venv(clone)
    shown = run_script(clone, "cli", "logs", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "--region REGION" in shown.stdout
    runs = log.read_text().splitlines()
    assert runs == ["-B", "-B"], "an import probe, then the help, no bytecode; no pip"
    assert not (clone / ".venv" / ".recall-zoom-install").exists(), "nothing installed"


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for the venv's python")
def test_a_run_in_an_installed_virtualenv_names_the_script(clone: Path) -> None:
    log = fake_venv(clone)
    digest = hashlib.sha256((clone / "pyproject.toml").read_bytes()).hexdigest()
    (clone / ".venv" / ".recall-zoom-install").write_text(digest + "\n")
    script = clone / "scripts" / "cli.py"
    result = run_script(clone, "cli", "health")
    said = one_line(result, ExitStatus.CANNOT_RUN)
    assert said.startswith(f"{Path(sys.executable).name} {script} health: error: ")
    assert log.read_text().splitlines() == ["-c"], "straight to the command"


def test_what_asks_for_help() -> None:
    asks = venv_module.asks_for_help
    assert asks(["--help"])
    assert asks(["health", "-h"])
    assert not asks(["health", "--stack", "prod"])
    assert not asks(["logs", "--", "--help"]), "after --, a value"


def test_the_interpreter_for_a_help_is_the_first_that_imports_the_command(
    tmp_path: Path,
) -> None:
    failing = tmp_path / "failing-python"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(failing.stat().st_mode | stat.S_IEXEC)
    here = Path(sys.executable)
    choose = venv_module.help_interpreter
    entry = "recall_provider.cli:main"
    assert choose(entry, [tmp_path / "missing", failing, here]) == here
    assert choose(entry, [tmp_path / "missing", failing]) is None
    assert choose("recall_provider.no_such_module:main", [here]) is None


def test_the_script_is_named_as_it_was_typed() -> None:
    named = venv_module.invoked_as
    assert named(["/usr/bin/python3", "scripts/cli.py"], ["scripts/cli.py"]) == (
        "python3 scripts/cli.py"
    )
    command_line = venv_module.entry_command(
        Path("/venv/bin/python"), "recall_provider.cli:main", "python3 scripts/cli.py", ["-h"]
    )
    assert command_line[0] == "/venv/bin/python"
    assert command_line[-1] == "-h"
    assert "'python3 scripts/cli.py'" in command_line[-2]


@pytest.mark.parametrize("name", sorted(OWN_HELP))
def test_the_test_and_benchmark_commands_help_makes_and_runs_nothing(
    clone: Path, name: str
) -> None:
    before = made_in(clone)
    shown = run_script(clone, name, "--help")
    assert shown.returncode == 0, shown.stderr
    assert OWN_HELP[name] in shown.stdout
    assert made_in(clone) == before, "nothing made, installed or run"
    assert not (clone / ".venv").exists()
