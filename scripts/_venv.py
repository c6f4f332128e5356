"""The project-local virtualenv shared by the test and dev commands (standard library only)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".recall-zoom-install"


def run(
    *cmd: str | Path,
    env: dict[str, str] | None = None,
    check: bool = True,
    aside: bool = False,
) -> int:
    """Run a command in the project root, echoing it; exit with its code when it fails.
    ``aside``: everything it prints goes to stderr (a command's stdout may be its result)."""
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr if aside else sys.stdout, flush=True)
    out = sys.stderr if aside else None
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env, stdout=out)  # noqa: S603 - our tools
    if check and code != 0:
        sys.exit(code)
    return code


HELP = ("-h", "--help")
_LAUNCH = (
    "import sys; sys.path.insert(0, {root!r}); from {module} import {function} as main; "
    "sys.exit(main(sys.argv[1:], {prog!r}))"
)
_NO_HELP_HERE = (
    "(The full --help needs the project's dependencies, which are not installed yet: run the "
    "command without --help once, which makes {venv} and installs them.)"
)


def run_entry(entry: str, args: list[str], usage: str) -> NoReturn:
    """Run ``entry`` (``package.module:function``, called with the arguments and how the user
    ran this script) in the project's virtualenv, made first when missing: the way README's
    commands run on a fresh clone, activated virtualenv or not. ``--help`` makes and installs
    nothing: it runs in the first interpreter that can import the entry (the virtualenv's as
    it is, else this one), and prints ``usage`` where none can."""
    prog = invoked_as()
    if asks_for_help(args) and not installed():
        python = _help_python(entry, usage)
        # -B: no bytecode written into the checkout either.
        launch(entry_command(python, entry, prog, args, options=["-B"]))
    ensure_env()
    launch(entry_command(PY, entry, prog, args))


def run_module(package: str, args: list[str], usage: str) -> NoReturn:
    """``python -m package args`` in the project's virtualenv, made first when missing; a
    ``--help`` makes and installs nothing, as in ``run_entry``."""
    if asks_for_help(args) and not installed():
        python = _help_python(f"{package}.__main__:main", usage)
        launch([str(python), "-B", "-m", package, *args])
    ensure_env()
    launch([str(PY), "-m", package, *args])


def _help_python(entry: str, usage: str) -> Path:
    """The interpreter a help runs in without installing anything; where none can import
    ``entry``, ``usage`` is printed instead and the script ends."""
    python = help_interpreter(entry, [PY, Path(sys.executable)])
    if python is None:
        print_usage(usage)
        sys.exit(0)
    return python


def print_usage(usage: str) -> None:
    """A script's own ``usage`` text, and how to get the full help."""
    print(f"{usage.strip()}\n\n{textwrap.fill(_NO_HELP_HERE.format(venv=VENV), 79)}")


def entry_command(
    python: Path, entry: str, prog: str, args: list[str], options: list[str] | None = None
) -> list[str]:
    """The command line that calls ``entry`` (``module:function``) with ``args`` and ``prog``
    in ``python``, the project root first on its path."""
    module, _, function = entry.partition(":")
    code = _LAUNCH.format(root=str(ROOT), module=module, function=function, prog=prog)
    return [str(python), *(options or []), "-c", code, *args]


def launch(cmd: list[str]) -> NoReturn:
    """Run ``cmd`` (a python's command line) as this process; exit with its exit status."""
    if os.name == "posix":
        # The command becomes this process: signals, the exit code and the pid are its own.
        os.execv(cmd[0], cmd)  # noqa: S606 - our venv's python, or this one
    try:
        sys.exit(subprocess.call(cmd))  # noqa: S603 - our venv's python, or this one
    except KeyboardInterrupt:
        sys.exit(130)


def invoked_as(orig_argv: list[str] | None = None, argv: list[str] | None = None) -> str:
    """How the user ran this script, for its usage lines: the interpreter's name and the script
    as typed (``python3 scripts/cli.py``)."""
    # orig_argv is 3.10's: an older python3 gets as far as ensure_env's version check.
    orig_argv = getattr(sys, "orig_argv", [sys.executable]) if orig_argv is None else orig_argv
    argv = sys.argv if argv is None else argv
    return f"{Path(orig_argv[0]).name} {argv[0]}"


def asks_for_help(args: list[str]) -> bool:
    """Whether ``args`` ask for a command's help (before a ``--``, after which all is values)."""
    given = args[: args.index("--")] if "--" in args else args
    return any(arg in HELP for arg in given)


def help_interpreter(entry: str, candidates: list[Path], root: Path = ROOT) -> Path | None:
    """The first of ``candidates`` that can import ``entry``'s module from ``root`` as they
    are: nothing is made or installed for a help."""
    module = entry.partition(":")[0]
    probe = f"import sys; sys.path.insert(0, {str(root)!r}); import {module}"
    for python in candidates:
        if not python.exists():
            continue
        try:
            found = subprocess.run(  # noqa: S603 - our venv's python, or this one
                [str(python), "-B", "-c", probe],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if found.returncode == 0:
            return python
    return None


def _has_pip() -> bool:
    probe = [str(PY), "-m", "pip", "--version"]
    return subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0  # noqa: S603 - our venv


def _add_pip() -> bool:
    add = [str(PY), "-m", "ensurepip", "--upgrade"]
    return subprocess.call(add, stdout=sys.stderr) == 0  # noqa: S603 - our venv


def ensure_env() -> None:
    """Create ./.venv when missing and install the project when pyproject.toml changed; what
    that prints goes to stderr."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this may be run by any python3
        sys.exit(f"Python 3.11+ is needed, this is {sys.version.split()[0]}")
    up_to_date = installed()
    # Before installing into a venv made without pip (by uv, or an earlier failed creation):
    # add pip, else rebuild it. A venv that is up to date is not probed at all.
    if PY.exists() and not up_to_date and not _has_pip() and not _add_pip():
        print(f"{VENV} has no pip and cannot get one: making it again", file=sys.stderr)
        shutil.rmtree(VENV)
    if not PY.exists():
        print(f"creating virtualenv {VENV}", file=sys.stderr, flush=True)
        try:
            venv.EnvBuilder(with_pip=False).create(VENV)
            if not _add_pip():
                raise OSError("ensurepip failed")
        except (OSError, subprocess.CalledProcessError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(
                f"could not create {VENV} with pip ({exc}); on Debian or Ubuntu install "
                "python3-venv (e.g. `sudo apt install python3.11-venv`) and run this again"
            )
    if not up_to_date:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip", aside=True)
        run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]", aside=True)
        STAMP.write_text(_wanted() + "\n")


def _wanted() -> str:
    """What the stamp holds once the project is installed: the hash of its pyproject.toml."""
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def installed() -> bool:
    """Whether the virtualenv exists with the project installed as pyproject.toml says now."""
    return PY.exists() and STAMP.exists() and STAMP.read_text().strip() == _wanted()
