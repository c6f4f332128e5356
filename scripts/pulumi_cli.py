#!/usr/bin/env python3
"""Build the Pulumi CLI the tests run from its Go modules, into a per-user cache.

Usage: python3 scripts/pulumi_cli.py [build] [--only NAME[,NAME...]]
       python3 scripts/pulumi_cli.py where

`build` (the default) builds, for the version of the `pulumi` SDK installed in .venv, each
component below into <cache>/pulumi-cli/v<version>/bin, where <cache> is $RECALL_ZOOM_CLI_CACHE,
else $XDG_CACHE_HOME/recall-zoom, else ~/.cache/recall-zoom: outside the repository, so that
every clone of this machine reuses it. A component already built from the same recipe is left
alone, so a second run builds nothing. Needs Go and the Go module proxy, nothing else.

  pulumi                         github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the release tag
  pulumi-resource-pulumi-python  the dynamic-provider shim, from the SDK module's python/dist/
  pulumi-language-yaml           github.com/pulumi/pulumi-yaml, the newest version served
  pulumi-language-python         untagged modules of the release commit: built where the proxy
  pulumi-language-nodejs           serves them (optional: without them the tests run Python
                                   programs in the Python SDK's own language server)
  pulumi-sdkgen                  scripts/sdkgen/main.go against pkg/v3 at the release tag: binds a
                                   schema as the CLI does and writes SDKs with Pulumi's code
                                   generators (what `pulumi package gen-sdk` does via a host)
  pulumi-go-program              tests/go_program against sdk/v3 at the release tag, with the Go
                                   SDK pulumi-sdkgen makes from provider/schema.json: the tests'
                                   Go program, serving the CLI's attach as its own language host
                                   (the proxy serves no pulumi-language-go)

`where` prints the bin directory when the required components are there (exit 0), else says
in one line how to build them (exit 1).

Exit status of `build`: 0 every required component is there (an optional one the proxy does
not serve is named on stderr); 1 a required one could not be built (one line each); 2 the
build could not start (no `go`, no virtualenv).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from _venv import PY, ROOT, ensure_env

CACHE_ENV = "RECALL_ZOOM_CLI_CACHE"
PULUMI_REPO = "github.com/pulumi/pulumi"
SDK_MODULE = f"{PULUMI_REPO}/sdk/v3"
# The Go SDK's import path: provider/schema.json's language.go.importBasePath.
GO_SDK = "github.com/recall-zoom/pulumi-recall/sdk/go/recall"
# The release binaries' build settings (pulumi/pulumi .goreleaser.yml).
BUILD_TAGS = "osusergo,grpcnotrace"
# An optional module the proxy refused is asked again after a day, not on every run.
REFUSAL_TTL = 24 * 3600


class BuildError(Exception):
    """A component could not be built; the message is one line naming what is missing."""


@dataclass(frozen=True)
class Component:
    """One binary of the CLI's installation and the Go module it comes from."""

    name: str
    module: str
    package: str  # the main package to build, or the file to copy when ``copy`` is set
    required: bool = True
    copy: bool = False
    tagged: bool = True  # False: the module has no tags, only the release commit's pseudo-version
    version_var: str = ""  # the linker variable that carries the version
    source: str = ""  # a main package of this repository (its folder), built against ``module``
    sdk: str = ""  # the Go import path of the SDK pulumi-sdkgen makes from provider/schema.json


def components() -> list[Component]:
    """What the tests' CLI is made of; resolve_version picks each module's version."""
    return [
        Component(
            "pulumi",
            f"{PULUMI_REPO}/pkg/v3",
            f"{PULUMI_REPO}/pkg/v3/cmd/pulumi",
            version_var=f"{SDK_MODULE}/go/common/version.Version",
        ),
        Component(
            "pulumi-resource-pulumi-python",
            SDK_MODULE,
            "python/dist/pulumi-resource-pulumi-python",
            copy=True,
        ),
        Component(
            "pulumi-language-yaml",
            "github.com/pulumi/pulumi-yaml",
            "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml",
            version_var="github.com/pulumi/pulumi-yaml/pkg/version.Version",
        ),
        Component(
            "pulumi-sdkgen",
            f"{PULUMI_REPO}/pkg/v3",
            ".",
            source="scripts/sdkgen",
        ),
        Component(
            "pulumi-go-program",
            SDK_MODULE,
            ".",
            source="tests/go_program",
            sdk=GO_SDK,
        ),
        Component(
            "pulumi-language-python",
            f"{PULUMI_REPO}/sdk/python/cmd/pulumi-language-python/v3",
            f"{PULUMI_REPO}/sdk/python/cmd/pulumi-language-python/v3",
            required=False,
            tagged=False,
        ),
        Component(
            "pulumi-language-nodejs",
            f"{PULUMI_REPO}/sdk/nodejs/cmd/pulumi-language-nodejs/v3",
            f"{PULUMI_REPO}/sdk/nodejs/cmd/pulumi-language-nodejs/v3",
            required=False,
            tagged=False,
        ),
    ]


def say(text: str) -> None:
    """Progress and findings go to stderr; stdout is kept for `where`'s answer."""
    print(text, file=sys.stderr, flush=True)


def cache_root() -> Path:
    """The per-user cache this script builds into (never inside the repository)."""
    if given := os.environ.get(CACHE_ENV):
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "recall-zoom"


def install_dir(sdk_version: str) -> Path:
    """Where the CLI of ``sdk_version`` lives: bin/ beside the Go build folders."""
    return cache_root() / "pulumi-cli" / f"v{sdk_version}"


def sdk_version() -> str:
    """The version of the `pulumi` package this project's tests run with (.venv's)."""
    try:
        return metadata.version("pulumi")
    except metadata.PackageNotFoundError:
        pass
    # Run by a python3 outside the virtualenv: ask the virtualenv (made first when missing).
    ensure_env()
    ask = [str(PY), "-c", "import importlib.metadata as m; print(m.version('pulumi'))"]
    return subprocess.run(ask, capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603 - our venv


# -- the go command ----------------------------------------------------------------------------

_REFUSED = re.compile(
    r"reading https?://[^/\s]+/(?P<path>\S+?)/@(?P<what>\S+?): (?P<status>\d{3}[^\n]*)"
    r"(?:\n\s*server response: (?P<why>[^\n]*))?"
)


def go(*args: str, cwd: Path, echo: bool = False) -> str:
    """Run ``go args`` in ``cwd``; what it printed on stdout when it succeeds, else one line
    saying why (stderr, where go reports progress and errors, is kept apart)."""
    process = subprocess.Popen(  # noqa: S603 - the go command
        ["go", *args],  # noqa: S607 - whichever go the user has on PATH
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GOFLAGS": os.environ.get("GOFLAGS", "") + " -mod=mod"},
    )
    assert process.stdout is not None
    assert process.stderr is not None
    errors: list[str] = []
    done = threading.Event()
    if echo:
        # A compile says nothing for minutes: say that it goes on.
        threading.Thread(target=_heartbeat, args=(args[0], done), daemon=True).start()
    reader = threading.Thread(target=_read_errors, args=(process.stderr, errors, echo))
    reader.start()
    try:
        out = process.stdout.read()
        code = process.wait()
        reader.join()
    finally:
        done.set()
    if code != 0:
        raise BuildError(why_go_failed(args, "\n".join(errors) + "\n" + out))
    return out


def _read_errors(stream: IO[str], into: list[str], echo: bool) -> None:
    for line in stream:
        into.append(line.rstrip("\n"))
        if echo and line.startswith("go: downloading"):
            say(f"  {line.rstrip()}")


def go_json(*args: str, cwd: Path) -> dict[str, Any]:
    """``go args`` whose answer is one JSON object (``-json``)."""
    out = go(*args, cwd=cwd)
    try:
        found = json.loads(out)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise BuildError(f"`go {' '.join(args[:2])}` answered no JSON object: {out[:200]!r}")
    return found


def _heartbeat(verb: str, done: threading.Event, every: float = 30.0) -> None:
    started = time.monotonic()
    while not done.wait(every):
        say(f"  go {verb}: still at it ({time.monotonic() - started:.0f} s)")


def why_go_failed(args: tuple[str, ...], output: str) -> str:
    """One line for a failed go command: the module the proxy refused, else go's last line."""
    if refused := _REFUSED.search(output):
        module = _unescape(refused["path"])
        answer = " ".join(refused["status"].split())
        if refused["why"]:
            answer += f" ({refused['why'].strip()})"
        what = refused["what"]
        if what in ("v/list", "latest"):
            return f"the Go module proxy serves no version of {module}: {answer}"
        version = re.sub(r"^v/|\.(info|mod|zip)$", "", what)
        return f"the Go module proxy refuses {module}@{_unescape(version)}: {answer}"
    last = next((x.strip() for x in reversed(output.splitlines()) if x.strip()), "no output")
    return f"`go {' '.join(args[:2])}` failed: {last}"


def _unescape(path: str) -> str:
    # The proxy protocol writes upper-case letters as "!x".
    return re.sub(r"!([a-z])", lambda m: m.group(1).upper(), path)


def resolve_version(component: Component, sdk: str, scratch: Path) -> str:
    """The version of the component's module that belongs to SDK release ``sdk``."""
    if component.module.startswith(f"{PULUMI_REPO}/") and component.tagged:
        return f"v{sdk}"  # pkg and sdk are tagged with the release's version
    if component.tagged:
        latest = go_json("list", "-m", "-json", f"{component.module}@latest", cwd=scratch)
        return str(latest["Version"])
    # Untagged: the release commit's pseudo-version, which the proxy gives for the commit the
    # release's tag names (when its answer says which commit that is).
    go("list", "-m", "-versions", component.module, cwd=scratch)  # a refused module: says so
    release = go_json("mod", "download", "-json", f"{SDK_MODULE}@v{sdk}", cwd=scratch)
    commit = (release.get("Origin") or {}).get("Hash")
    if not commit:
        raise BuildError(
            f"the Go module proxy names no commit for {SDK_MODULE}@v{sdk}, so the release "
            f"commit's version of {component.module} cannot be known"
        )
    pseudo = go_json("list", "-m", "-json", f"{component.module}@{commit}", cwd=scratch)
    return str(pseudo["Version"])


# -- building ----------------------------------------------------------------------------------


def recipe(component: Component, version: str) -> str:
    """What a component is built from; a stamp that differs means build it again."""
    how = "copy" if component.copy else f"build {BUILD_TAGS} {component.version_var}"
    if component.source:
        # Our own source: a change to it is a new recipe.
        digest = hashlib.sha256()
        paths = sorted((ROOT / component.source).glob("*.go"))
        if component.sdk:
            paths.append(ROOT / "provider" / "schema.json")
        for path in paths:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        how += f" {component.source} {digest.hexdigest()[:16]}"
    return f"{component.module}@{version} {component.package} {how}"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """One build of a version at a time on this machine (two test runs may start together)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def build_component(component: Component, version: str, home: Path) -> None:
    """Put the component's binary into home/bin, replacing it only once the new one is whole."""
    target = home / "bin" / component.name
    partial = target.with_name(f".{component.name}.partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = home / "src" / component.name
    source.mkdir(parents=True, exist_ok=True)
    if component.copy:
        found = go_json("mod", "download", "-json", f"{component.module}@{version}", cwd=source)
        shutil.copyfile(Path(str(found["Dir"])) / component.package, partial)
        partial.chmod(0o755)
    else:
        # A tools module of our own: the release's go.mod `replace`s do not apply to a module
        # that requires it, and none is needed to build these main packages.
        (source / "go.mod").write_text(
            f"module recallzoom.local/tools/{component.name}\n\ngo 1.25\n"
        )
        if component.source:
            # Built in the cache, never in the repository: go writes go.sum where it builds.
            for path in (ROOT / component.source).glob("*.go"):
                shutil.copyfile(path, source / path.name)
        else:
            (source / "tools.go").write_text(
                f'//go:build tools\n\npackage tools\n\nimport _ "{component.package}"\n'
            )
        (source / "go.sum").unlink(missing_ok=True)
        if component.sdk:
            generate_go_sdk(component.sdk, source, home)
        go("get", f"{component.module}@{version}", cwd=source, echo=True)
        go("mod", "tidy", cwd=source, echo=True)
        ldflags = "-w -s" + (
            f" -X {component.version_var}={version}" if component.version_var else ""
        )
        say(f"  go build {component.package} (a few minutes the first time)")
        go(
            "build", "-trimpath", "-tags", BUILD_TAGS, "-ldflags", ldflags,
            "-o", str(partial), component.package, cwd=source, echo=True,
        )  # fmt: skip
    partial.replace(target)


def generate_go_sdk(import_path: str, source: Path, home: Path) -> None:
    """The Go SDK of provider/schema.json, made by the pulumi-sdkgen built before, as a module
    of its own that the program's module replaces with it."""
    sdk = source / "sdk"
    shutil.rmtree(sdk, ignore_errors=True)
    generate = [str(home / "bin" / "pulumi-sdkgen"), str(ROOT / "provider" / "schema.json"), "go"]
    done = subprocess.run([*generate, str(sdk)], capture_output=True, text=True, check=False)  # noqa: S603 - our generator
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BuildError(f"pulumi-sdkgen could not make the Go SDK: {last}")
    package = sdk / import_path.rsplit("/", 1)[-1]
    (package / "go.mod").write_text(f"module {import_path}\n\ngo 1.25\n")
    with (source / "go.mod").open("a") as mod:
        local = package.relative_to(source)
        mod.write(f"\nrequire {import_path} v0.0.0\n\nreplace {import_path} => ./{local}\n")


def stamp_path(home: Path, component: Component) -> Path:
    return home / "stamps" / f"{component.name}.json"


def read_stamp(home: Path, component: Component) -> dict[str, object]:
    try:
        loaded = json.loads(stamp_path(home, component).read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def write_stamp(home: Path, component: Component, **fields: object) -> None:
    path = stamp_path(home, component)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(fields, indent=2) + "\n")
    partial.replace(path)


def up_to_date(home: Path, component: Component) -> bool:
    """Built before from a recipe still current, or refused by the proxy less than a day ago."""
    stamp = read_stamp(home, component)
    version = stamp.get("version")
    built = isinstance(version, str) and stamp.get("built") == recipe(component, version)
    if built and (home / "bin" / component.name).is_file():
        return True
    refused_at = stamp.get("refused_at")
    return isinstance(refused_at, float) and time.time() - refused_at < REFUSAL_TTL


def ensure(component: Component, sdk: str, home: Path) -> tuple[bool, str | None]:
    """Build the component unless it is there: whether this run built it, and None when it
    is there, else why it is not."""
    if up_to_date(home, component):
        stamp = read_stamp(home, component)
        return False, None if stamp.get("built") else str(stamp.get("why"))
    scratch = home / "src"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        version = resolve_version(component, sdk, scratch)
        say(f"{component.name} {version}: building")
        build_component(component, version, home)
    except BuildError as exc:
        # Only an optional module the proxy refused is left alone for a while; anything else
        # (a required one, a network fault, a compile error) is tried again next time.
        if not component.required and str(exc).startswith("the Go module proxy"):
            write_stamp(home, component, refused_at=time.time(), why=str(exc))
        return False, str(exc)
    write_stamp(home, component, built=recipe(component, version), version=version)
    return True, None


def build(only: list[str]) -> int:
    """The `build` command: see the module's docstring for the exit status."""
    if shutil.which("go") is None:
        say(
            "no `go` on PATH: install Go (https://go.dev/doc/install) to build the Pulumi CLI "
            "for the tests, or put a Pulumi CLI on PATH"
        )
        return 2
    sdk = sdk_version()
    home = install_dir(sdk)
    chosen = [c for c in components() if not only or c.name in only]
    unknown = sorted(set(only) - {c.name for c in components()})
    if unknown:
        say(f"no such component: {', '.join(unknown)} (see --help)")
        return 2
    failed = False
    with locked(home):
        for component in chosen:
            fresh, why = ensure(component, sdk, home)
            if why is None:
                state = "built" if fresh else "up to date"
                say(f"{component.name}: {state} ({read_stamp(home, component).get('version')})")
            elif component.required:
                failed = True
                say(f"{component.name}: not built: {why}")
            else:
                say(f"{component.name} (optional): not built: {why}")
    if not failed:
        say(f"Pulumi CLI v{sdk} for the tests: {home / 'bin'}")
    return 1 if failed else 0


def where() -> int:
    """The `where` command: the bin directory of a complete build, or how to make one."""
    sdk = sdk_version()
    home = install_dir(sdk)
    missing = [c.name for c in components() if c.required and not (home / "bin" / c.name).is_file()]
    if missing:
        say(
            f"no Pulumi CLI v{sdk} built for the tests (missing {', '.join(missing)}): run "
            "`make pulumi-cli` (needs Go), or put a Pulumi CLI on PATH"
        )
        return 1
    print(home / "bin")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 scripts/pulumi_cli.py",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog=f"The cache: ${CACHE_ENV}, else $XDG_CACHE_HOME/recall-zoom, else "
        "~/.cache/recall-zoom.",
    )
    parser.add_argument("command", nargs="?", default="build", choices=["build", "where"])
    parser.add_argument(
        "--only",
        default="",
        metavar="NAME[,NAME...]",
        help=f"build only these components ({', '.join(c.name for c in components())})",
    )
    args = parser.parse_args(argv)
    if args.command == "where":
        return where()
    return build([name for name in args.only.split(",") if name])


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"could not build the Pulumi CLI: {exc}")
