"""The real Pulumi CLI for the end-to-end tests: found once, run in a sandbox of each test's own.

``find_pulumi_cli`` looks on PATH first, then in the per-user cache that
``scripts/pulumi_cli.py`` builds from Go modules. A ``Sandbox`` runs the CLI as README's
commands do, with a ``PULUMI_HOME`` and a file backend inside the test's directory (nothing is
written to the user's ``~/.pulumi``) and automatic plugin downloads off (the program needs no
plugin but the Python dynamic host the CLI ships). Where the CLI has no
``pulumi-language-python`` (ours cannot have one: the Go module proxy does not serve it), the
sandbox attaches ``tests/language_server.py`` through ``PULUMI_DEBUG_LANGUAGES``; for a Node.js
program (``node_program_dir``) where it has no ``pulumi-language-nodejs`` (nor can it), it
attaches ``tests/language_server.js`` likewise. Everything else (engine, state, secrets, the
provider plugins) is the real CLI's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_ENV = "RECALL_ZOOM_REQUIRE_PULUMI_CLI"
PULUMI_HOME_ENV = "PULUMI_HOME"
"""Where the Pulumi CLI keeps its logs, plugins and credentials (``~/.pulumi`` without it)."""
"""Set (by scripts/test.py, on a machine that built the CLI): a missing CLI fails, not skips."""
HOW_TO_GET = (
    "no Pulumi CLI: `make pulumi-cli` builds one for the tests (needs Go), or install the "
    "Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/)"
)
PASSPHRASE = "e2e-test-passphrase"


@dataclass(frozen=True)
class PulumiCLI:
    """A Pulumi CLI installation: ``pulumi`` and the plugins shipped beside it."""

    bin_dir: Path

    @property
    def pulumi(self) -> Path:
        return self.bin_dir / "pulumi"

    def has(self, plugin: str) -> bool:
        """Whether the CLI finds ``plugin`` (beside it or on PATH, as it looks)."""
        return (self.bin_dir / plugin).is_file() or shutil.which(plugin) is not None

    def version(self) -> str:
        out = subprocess.run([self.pulumi, "version"], capture_output=True, text=True, check=True)
        return out.stdout.strip()


@cache
def find_pulumi_cli() -> PulumiCLI | None:
    """The CLI the tests run: PATH first, then the cache of scripts/pulumi_cli.py."""
    on_path = shutil.which("pulumi")
    if on_path is not None:
        return PulumiCLI(Path(on_path).resolve().parent)
    where = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pulumi_cli.py"), "where"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if where.returncode != 0:
        return None
    return PulumiCLI(Path(where.stdout.strip()))


def find_sdkgen() -> Path | None:
    """``pulumi-sdkgen`` (scripts/sdkgen): on PATH, or beside the CLI the tests run."""
    on_path = shutil.which("pulumi-sdkgen")
    if on_path is not None:
        return Path(on_path)
    cli = find_pulumi_cli()
    if cli is not None and (cli.bin_dir / "pulumi-sdkgen").is_file():
        return cli.bin_dir / "pulumi-sdkgen"
    return None


@dataclass(frozen=True)
class Result:
    """One CLI command's outcome."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


class CommandFailed(AssertionError):
    """A command that was to succeed did not; the message holds what it printed."""


@dataclass
class Sandbox:
    """What a test's commands share: the CLI, a home, a file backend, a passphrase, and (where
    the CLI lacks the Python host) the attached language server."""

    cli: PulumiCLI
    root: Path
    python: Path = Path(sys.executable)
    """The interpreter of the attached language server: the program runs in it."""
    python_path: list[Path] = field(default_factory=list)
    """Folders the program imports from before that interpreter's own packages."""
    node_program_dir: Path | None = None
    """The Node.js project the commands run, if any: the attached Node.js language server loads
    ``@pulumi/pulumi`` from its node_modules (one copy for the server, program and SDKs)."""
    node: str = "node"
    go_program: Path | None = None
    """The Go program the commands run, if any: a binary that is its own language host
    (``pulumi-go-program``), attached as the CLI's Go host."""
    transcript: list[Result] = field(default_factory=list)
    _server: subprocess.Popen[str] | None = None
    _port: int | None = None
    _node_server: subprocess.Popen[str] | None = None
    _node_port: int | None = None
    _go_server: subprocess.Popen[str] | None = None
    _go_port: int | None = None

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.root / "state").mkdir(exist_ok=True)

    @property
    def home(self) -> Path:
        """The ``PULUMI_HOME`` of every command (and so the mark of what they leave running)."""
        return self.root / "home"

    @property
    def backend_url(self) -> str:
        return (self.root / "state").as_uri()

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every command: the user's, isolated from their Pulumi state."""
        env = dict(os.environ)
        for name in ("PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_STACK"):
            env.pop(name, None)
        env.update(
            PATH=os.pathsep.join([str(self.cli.bin_dir), env.get("PATH", "")]),
            PULUMI_HOME=str(self.home),
            PULUMI_BACKEND_URL=self.backend_url,
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            # A virtualenv that a command makes (make up) fills pip's cache of the test's own.
            PIP_CACHE_DIR=str(self.root / "pip-cache"),
        )
        attached = []
        if not self.cli.has("pulumi-language-python"):
            attached.append(f"python:{self.language_server()}")
        if self.node_program_dir is not None and not self.cli.has("pulumi-language-nodejs"):
            attached.append(f"nodejs:{self.node_language_server()}")
        if self.go_program is not None and not self.cli.has("pulumi-language-go"):
            attached.append(f"go:{self.go_language_server()}")
        if attached:
            # One list for every language (pulumi's langruntime_plugin.go splits it on commas).
            env["PULUMI_DEBUG_LANGUAGES"] = ",".join(attached)
        env.update(extra)
        return env

    def language_server(self) -> int:
        """The attached server's port, started on first use."""
        if self._port is None:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, self.python_path))}
            self._server, self._port = _serve(
                [str(self.python), str(ROOT / "tests" / "language_server.py")],
                env, self.root / "language-server.log",
            )  # fmt: skip
        return self._port

    def node_language_server(self) -> int:
        """The attached Node.js server's port, started on first use for ``node_program_dir``."""
        assert self.node_program_dir is not None, "no Node.js program to serve"
        if self._node_port is None:
            self._node_server, self._node_port = _serve(
                [self.node, str(ROOT / "tests" / "language_server.js"),
                 str(self.node_program_dir)],
                dict(os.environ), self.root / "language-server-nodejs.log",
            )  # fmt: skip
        return self._node_port

    def go_language_server(self) -> int:
        """The attached Go program's port, started on first use."""
        assert self.go_program is not None, "no Go program to serve"
        if self._go_port is None:
            self._go_server, self._go_port = _serve(
                [str(self.go_program)], dict(os.environ), self.root / "language-server-go.log"
            )
        return self._go_port

    def run(
        self,
        *args: str,
        cwd: Path,
        check: bool = True,
        env: dict[str, str] | None = None,
        timeout: float = 300,
        stdin: str = "",
    ) -> Result:
        """``pulumi args`` in ``cwd``; a failure raises unless ``check`` is off."""
        argv = [str(self.cli.pulumi), *args]
        return self.command(argv, cwd=cwd, check=check, env=env, timeout=timeout, stdin=stdin)

    def command(
        self,
        argv: list[str],
        *,
        cwd: Path,
        check: bool = True,
        env: dict[str, str] | None = None,
        timeout: float = 600,
        stdin: str = "",
    ) -> Result:
        """Any command (``make up``, ``scripts/cli.py``) in the sandbox's environment, with
        ``stdin`` as its standard input (which is never a terminal)."""
        done = subprocess.run(
            argv, cwd=cwd, env=self.env(**(env or {})), capture_output=True, text=True,
            timeout=timeout, input=stdin, check=False,
        )  # fmt: skip
        result = Result(tuple(argv), done.returncode, done.stdout, done.stderr)
        self.transcript.append(result)
        if check and result.code != 0:
            raise CommandFailed(
                f"`{' '.join(argv)}` exited {result.code}\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self, *args: str, cwd: Path) -> subprocess.Popen[str]:
        """``pulumi args`` in the background (its own process group, for a kill)."""
        return subprocess.Popen(
            [str(self.cli.pulumi), *args], cwd=cwd, env=self.env(), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

    def leftovers(self) -> list[int]:
        """Processes still running in this sandbox's environment: after a CLI was killed, the
        provider hosts it started (the CLI runs each in a process group of its own, and the
        Python dynamic host waits forever once its engine is gone)."""
        mark = f"PULUMI_HOME={self.home}".encode()
        found = []
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue  # gone, or not ours to read
            if mark in environ and int(entry.name) != os.getpid():
                found.append(int(entry.name))
        return found

    def close(self) -> None:
        for pid in self.leftovers():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for server in (self._server, self._node_server, self._go_server):
            if server is not None:
                with contextlib.suppress(ProcessLookupError):  # gone already (it crashed)
                    os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=10)
                if server.stdout is not None:
                    server.stdout.close()
        self._server = self._node_server = self._go_server = None


def _serve(argv: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen[str], int]:
    """A language server started in a process group of its own, and the port it printed on its
    first line."""
    server = subprocess.Popen(
        argv, stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    assert server.stdout is not None
    first = server.stdout.readline()
    if not first.strip().isdigit():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        server.stdout.close()
        raise RuntimeError(f"`{' '.join(argv)}` printed no port (exit {server.returncode})")
    # What the program prints goes on to a file: a full pipe would stall it.
    threading.Thread(target=_drain, args=(server.stdout, log), daemon=True).start()
    return server, int(first)


def _drain(stream: IO[str], into: Path) -> None:
    with into.open("a") as out:
        for line in stream:
            out.write(line)


def project_copy(dest: Path, source: Path = ROOT) -> Path:
    """This repository's program in ``dest``, its virtualenv option pointing at this
    interpreter's (the dynamic provider host runs there, as it runs in .venv for a user)."""
    dest.mkdir(parents=True)
    (dest / "stacks").mkdir()
    shutil.copy(source / "__main__.py", dest / "__main__.py")
    text = (source / "Pulumi.yaml").read_text()
    assert "virtualenv: .venv" in text
    (dest / "Pulumi.yaml").write_text(
        text.replace("virtualenv: .venv", f"virtualenv: {sys.prefix}")
    )
    return dest
