"""scripts/pulumi_cli.py: one line for what is missing, nothing done twice, and the choice of
an untagged module's version. No test builds the CLI (test.py does, once, before the suite),
and none writes to the user's cache: each has a cache, a module cache and a Go proxy of its own.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import load_script
from tests.real_cli import ROOT

SCRIPT = ROOT / "scripts" / "pulumi_cli.py"
SDK = importlib.metadata.version("pulumi")


script = load_script("pulumi_cli", "pulumi_cli_script")


def run_script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env,
        timeout=120, check=False,
    )  # fmt: skip


class RefusingProxy(BaseHTTPRequestHandler):
    """A Go module proxy that refuses every module, in the words of the one here."""

    def do_GET(self) -> None:
        body = b"This module version is not available.\n"
        self.send_response(403)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_proxy() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def own_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A cache and a Go module cache of the test's own, and no network beyond loopback."""
    return {
        **os.environ,
        "RECALL_ZOOM_CLI_CACHE": str(tmp_path / "cache"),
        "GOMODCACHE": str(tmp_path / "gomodcache"),
        "GOSUMDB": "off",
        "GOTOOLCHAIN": "local",
        **extra,
    }


def refused_env(tmp_path: Path, proxy: str) -> dict[str, str]:
    """The real go, asking only ``proxy`` (and skipping where there is no go)."""
    if subprocess.run(["go", "version"], capture_output=True, check=False).returncode != 0:
        pytest.skip("no `go` on PATH")
    return own_env(tmp_path, GOPROXY=proxy, GOFLAGS="-modcacherw")


def test_without_go_it_says_so_in_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_script("build", env=own_env(tmp_path, PATH=str(empty)))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no `go` on PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_module_the_proxy_refuses_is_named_in_one_line(
    tmp_path: Path, refusing_proxy: str
) -> None:
    env = refused_env(tmp_path, refusing_proxy)
    result = run_script("build", "--only", "pulumi", env=env)
    assert result.returncode == 1, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "not built" in x]
    assert line == (
        f"pulumi: not built: the Go module proxy refuses github.com/pulumi/pulumi/pkg/v3@v{SDK}: "
        "403 Forbidden (This module version is not available.)"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cache" / "pulumi-cli" / f"v{SDK}" / "bin" / "pulumi").exists()
    where = run_script("where", env=env)
    assert where.returncode == 1
    assert "make pulumi-cli" in where.stderr


def test_a_second_run_builds_nothing(tmp_path: Path) -> None:
    # What a first run leaves: each binary and the stamp of its recipe (the optional hosts
    # refused an hour ago). A go that fails loudly proves nothing is asked of it.
    home = tmp_path / "cache" / "pulumi-cli" / f"v{SDK}"
    (home / "bin").mkdir(parents=True)
    for component in script.components():
        if component.required:
            (home / "bin" / component.name).write_text("#!/bin/sh\n")
            version = f"v{SDK}"
            script.write_stamp(
                home, component, built=script.recipe(component, version), version=version
            )
        else:
            script.write_stamp(home, component, refused_at=script.time.time() - 3600, why="403")
    fake_go = tmp_path / "fake-bin" / "go"
    fake_go.parent.mkdir()
    fake_go.write_text(f"#!/bin/sh\ntouch {tmp_path / 'go-was-run'}\nexit 99\n")
    fake_go.chmod(0o755)
    env = own_env(tmp_path, PATH=f"{fake_go.parent}{os.pathsep}{os.environ['PATH']}")

    result = run_script("build", env=env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "go-was-run").exists()
    required = [c for c in script.components() if c.required]
    assert result.stderr.count("up to date") == len(required)
    where = run_script("where", env=env)
    assert where.returncode == 0
    assert where.stdout.strip() == str(home / "bin")


def test_a_changed_recipe_builds_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (pulumi,) = [c for c in script.components() if c.name == "pulumi"]
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "pulumi").write_text("")
    script.write_stamp(home, pulumi, built="github.com/pulumi/pulumi/pkg/v3@v1 old", version="v1")
    assert not script.up_to_date(home, pulumi)
    script.write_stamp(home, pulumi, built=script.recipe(pulumi, "v1"), version="v1")
    assert script.up_to_date(home, pulumi)


def test_a_required_component_that_failed_is_tried_again(
    tmp_path: Path, refusing_proxy: str
) -> None:
    env = refused_env(tmp_path, refusing_proxy)
    for _ in range(2):
        again = run_script("build", "--only", "pulumi", env=env)
        assert again.returncode == 1
        assert "the Go module proxy refuses" in again.stderr, "asked, not remembered"
    home = tmp_path / "cache" / "pulumi-cli" / f"v{SDK}"
    assert not (home / "stamps" / "pulumi.json").exists()


def test_an_answer_of_go_that_is_not_json_is_one_line(tmp_path: Path) -> None:
    fake_go = tmp_path / "fake-bin" / "go"
    fake_go.parent.mkdir()
    fake_go.write_text("#!/bin/sh\necho 'go: downloading go1.25.1' >&2\necho 'no json'\n")
    fake_go.chmod(0o755)
    env = own_env(tmp_path, PATH=f"{fake_go.parent}{os.pathsep}{os.environ['PATH']}")
    result = run_script("build", "--only", "pulumi-resource-pulumi-python", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "not built" in x]
    assert "answered no JSON object" in line


@pytest.mark.parametrize(
    ("output", "line"),
    [
        (
            "go: github.com/pulumi/pulumi/pkg/v3@v3.272.0: reading https://proxy.golang.org/"
            "github.com/pulumi/pulumi/pkg/v3/@v/v3.272.0.info: 403 Forbidden\n"
            "\tserver response: This module version is not available.",
            "the Go module proxy refuses github.com/pulumi/pulumi/pkg/v3@v3.272.0: "
            "403 Forbidden (This module version is not available.)",
        ),
        (
            "go: module github.com/!burnt!sushi/x: reading https://proxy.golang.org/"
            "github.com/!burnt!sushi/x/@v/list: 404 Not Found",
            "the Go module proxy serves no version of github.com/BurntSushi/x: 404 Not Found",
        ),
        ("build failed\n\n./x.go:1: syntax error\n", "`go build .` failed: ./x.go:1: syntax error"),
    ],
)
def test_a_failed_go_command_is_one_line(output: str, line: str) -> None:
    assert script.why_go_failed(("build", "."), output) == line


@pytest.mark.parametrize(
    ("name", "changed"),
    [
        ("pulumi-sdkgen", "scripts/sdkgen/main.go"),
        ("pulumi-go-program", "tests/go_program/program.go"),
        ("pulumi-go-program", "provider/schema.json"),
    ],
)
def test_a_change_to_our_own_source_or_the_schema_is_a_new_recipe(
    name: str, changed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (component,) = [c for c in script.components() if c.name == name]
    for folder in (component.source, "provider"):
        shutil.copytree(script.ROOT / folder, tmp_path / folder)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    before = script.recipe(component, f"v{SDK}")
    copy = tmp_path / changed
    copy.write_text(copy.read_text() + "\n")
    assert script.recipe(component, f"v{SDK}") != before, f"{name} is built again"
