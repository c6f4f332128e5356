"""Run ``__main__.py`` as the language host would, against the SDK's mock monitor.

``run_program`` returns what the program registered and the stack's outputs; the mocks decide
what each resource answers (``ProgramMocks`` answers like the provider without any HTTP).
"""

from __future__ import annotations

import asyncio
import json
import runpy
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockSettings
from pulumi.runtime.stack import run_in_stack

from tests.host_harness import ROOT, TYPE

# Where a run without a project of its own says Pulumi.yaml is: nowhere with a stack file.
_NO_PROJECT = tempfile.TemporaryDirectory(prefix="no-project-")

APP_TYPE = TYPE
BASE = "http://127.0.0.1:18111"
# The keys a user sets with --secret: recall-zoom:apps too, which holds Zoom secrets.
SECRET_SUFFIXES = (":apiKey", ":clientSecret", ":webhookSecret", ":apps")


class ProgramMocks(pulumi.runtime.Mocks):
    """Answers like the provider: a Recall id and a webhook URL derived from it."""

    def __init__(self) -> None:
        self.count = 0

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.count += 1
        if args.typ == APP_TYPE:
            app_id = f"00000000-0000-4000-8000-{self.count:012d}"
            state = {k: v for k, v in args.inputs.items() if k != "__provider"}
            state["webhook_url"] = f"{BASE}/api/v2/zoom-oauth-apps/{app_id}/webhook"
            return app_id, state
        if args.typ.startswith("random:"):
            return f"{args.name}-id", {**args.inputs, "result": f"random-{args.name}"}
        return f"{args.name}-id", dict(args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


class ProgramMonitor(MockMonitor):
    """The mock monitor, keeping registrations and the stack's outputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Any] = []
        self.stack_outputs: Any = None

    def RegisterResource(self, request: Any) -> Any:
        self.registered.append(request)
        return super().RegisterResource(request)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if "pulumi:pulumi:Stack" in request.urn:
            self.stack_outputs = request.outputs
        return super().RegisterResourceOutputs(request)


@dataclass
class Run:
    monitor: ProgramMonitor
    outputs: dict[str, Any] = field(default_factory=dict)
    raw_outputs: str = ""

    def resources(self, typ: str) -> list[Any]:
        return [r for r in self.monitor.registered if r.type == typ]

    def inputs(self, request: Any) -> dict[str, Any]:
        return dict(rpc.deserialize_properties(request.object))


def run_program(
    config: dict[str, Any],
    secret_keys: tuple[str, ...] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
    root_directory: Path | None = None,
) -> Run:
    """Run ``__main__.py`` as the language host would, against the mock monitor.

    ``secret_keys`` are the keys set with ``--secret``; by default every key a user must set
    that way (the API key and the Zoom secrets). ``root_directory`` is where the CLI would say
    Pulumi.yaml is; by default an empty directory, so that no stack file of this checkout is
    read.
    """
    if secret_keys is None:
        secret_keys = tuple(k for k in config if k.endswith(SECRET_SUFFIXES))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = mocks or ProgramMocks()
    monitor = ProgramMonitor(mocks)
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.settings.configure(
        MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=MockEngine(None),
            project="recall-zoom",
            stack="dev",
            dry_run=False,
            organization="organization",
            callbacks=None,
            root_directory=str(root_directory or _NO_PROJECT.name),
        )
    )
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()},
        list(secret_keys),
    )

    def program() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    try:
        loop.run_until_complete(run_in_stack(program))
    finally:
        pulumi.runtime.settings.reset_options()
        pulumi.runtime.set_all_config({}, [])
        loop.close()
    run = Run(monitor)
    if monitor.stack_outputs is not None:
        run.raw_outputs = json_format.MessageToJson(monitor.stack_outputs)
        run.outputs = dict(rpc.deserialize_properties(monitor.stack_outputs))
    return run
