"""Run a Pulumi Python program as the language host would, against the SDK's mock monitor.

It needs nothing but the Pulumi SDK, so that it also runs in a virtualenv that holds only an
installed recall-zoom: run as a script there, ``python tests/mock_program.py PROGRAM_DIR PROJECT
CONFIG_JSON [SECRET_KEY...]`` prints what the program registered and exported, as JSON. The
config is what the CLI would pass: the stack's values over the defaults that the project's
Pulumi.yaml declares (the script takes them merged: reading YAML needs PyYAML).
"""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockSettings
from pulumi.runtime.stack import run_in_stack

# Where a run without a project of its own says Pulumi.yaml is: nowhere with a stack file.
_NO_PROJECT = tempfile.TemporaryDirectory(prefix="no-project-")


APP_TYPE = "pulumi-python:dynamic/recall:ZoomOAuthApp"
"""The resource's type token (the contract's)."""
PLACEHOLDER_TYPE = "pulumi-python:dynamic/recall:Placeholder"
"""The type token of the emulator stacks' stand-in credentials."""
BASE = "http://127.0.0.1:18111"
"""The Recall base URL the mocks' apps live at."""
SELF_CHECKED_AT = "2026-01-01T00:00:00Z"
"""When the mocks' apps passed the webhook self-check."""


class ProgramMocks(pulumi.runtime.Mocks):
    """Answers like the provider: a Recall id and a webhook URL derived from it."""

    def __init__(self) -> None:
        self.count = 0

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """An app gets an id and its webhook URL; any other resource echoes its inputs."""
        self.count += 1
        if args.typ == APP_TYPE:
            app_id = f"00000000-0000-4000-8000-{self.count:012d}"
            state = {k: v for k, v in args.inputs.items() if k != "__provider"}
            state["webhook_url"] = f"{BASE}/api/v2/zoom-oauth-apps/{app_id}/webhook"
            state["webhook_self_check_at"] = SELF_CHECKED_AT
            return app_id, state
        if args.typ == PLACEHOLDER_TYPE:
            return f"{args.name}-id", {**args.inputs, "result": f"random-{args.name}"}
        return f"{args.name}-id", dict(args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        """No function answers anything."""
        return {}, None


class ProgramMonitor(MockMonitor):
    """The mock monitor, keeping registrations and the stack's outputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Any] = []
        self.stack_outputs: Any = None

    def RegisterResource(self, request: Any) -> Any:
        """Keep the request, then register as the mock monitor does."""
        self.registered.append(request)
        return super().RegisterResource(request)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        """Keep the stack's outputs, then register as the mock monitor does."""
        if "pulumi:pulumi:Stack" in request.urn:
            self.stack_outputs = request.outputs
        return super().RegisterResourceOutputs(request)


@dataclass
class Run:
    """What one run of a program registered and exported."""

    monitor: ProgramMonitor
    outputs: dict[str, Any] = field(default_factory=dict)
    raw_outputs: str = ""

    def resources(self, typ: str) -> list[Any]:
        """The registrations of type ``typ``."""
        return [r for r in self.monitor.registered if r.type == typ]

    def inputs(self, request: Any) -> dict[str, Any]:
        """A registration's inputs, deserialized."""
        return dict(rpc.deserialize_properties(request.object))


def project_config(project_file: Path) -> tuple[str, dict[str, str]]:
    """The project's name and the config defaults its Pulumi.yaml declares, keyed and written
    as the CLI passes them to the program (``<project>:<key>``, values as JSON text)."""
    import yaml  # only here: the script's callers read Pulumi.yaml for it

    project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    name = str(project["name"])
    defaults: dict[str, str] = {}
    for key, spec in (project.get("config") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            full = key if ":" in key else f"{name}:{key}"
            value = spec["default"]
            defaults[full] = value if isinstance(value, str) else json.dumps(value)
    return name, defaults


def run_program(
    program: Path,
    config: dict[str, Any],
    secret_keys: list[str],
    *,
    mocks: pulumi.runtime.Mocks | None = None,
    root_directory: Path | None = None,
    stack: str = "dev",
    project: str | None = None,
) -> Run:
    """Run ``program`` (a directory with Pulumi.yaml and __main__.py) under ``mocks``.

    ``config`` is the stack's (values other than strings are passed as JSON, as the CLI does
    for structured config), merged over Pulumi.yaml's defaults; ``secret_keys`` are the keys
    set with ``--secret``. ``root_directory`` is where the CLI would say Pulumi.yaml is; by
    default an empty directory, so that no stack file is read. With ``project`` given, Pulumi.yaml
    is not read: ``config`` holds its defaults already.
    """
    defaults: dict[str, str] = {}
    if project is None:
        project, defaults = project_config(program / "Pulumi.yaml")
    stack_config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = ProgramMonitor(mocks or ProgramMocks())
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.settings.configure(
        MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=MockEngine(None),
            project=project,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
            root_directory=str(root_directory or _NO_PROJECT.name),
        )
    )
    pulumi.runtime.set_all_config({**defaults, **stack_config}, secret_keys)

    def body() -> None:
        runpy.run_path(str(program / "__main__.py"), run_name="__main__")

    try:
        loop.run_until_complete(run_in_stack(body))
    finally:
        pulumi.runtime.settings.reset_options()
        pulumi.runtime.set_all_config({}, [])
        loop.close()
    run = Run(monitor)
    if monitor.stack_outputs is not None:
        run.raw_outputs = json_format.MessageToJson(monitor.stack_outputs)
        run.outputs = dict(rpc.deserialize_properties(monitor.stack_outputs))
    return run


def main(argv: list[str]) -> None:
    """``PROGRAM_DIR PROJECT CONFIG_JSON [SECRET_KEY...]``: print the run as JSON."""
    program, project, config, *secrets = argv
    run = run_program(Path(program), json.loads(config), secrets, project=project)
    print(
        json.dumps(
            {
                "resources": [
                    {"type": r.type, "name": r.name, "inputs": sorted(run.inputs(r))}
                    for r in run.monitor.registered
                ],
                "outputs": sorted(run.outputs),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
