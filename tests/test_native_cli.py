"""The native ``recall`` plugin through the real Pulumi CLI: a YAML program (no SDK) against the
emulator, with the plugin the CLI runs from the project's ``plugins.providers`` path (the
``pulumi-resource-recall`` that ``pip install`` puts beside this interpreter).

Each test asserts on exit codes, ``pulumi stack output``, ``pulumi stack export`` and the
emulator's request log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from recall_provider.emulator import EmulatorServer
from recall_provider.native.schema import RESOURCE
from tests.docs_reader import Anchor, doc_block, doc_commands
from tests.helpers import EmulatorFactory, make_app
from tests.native_programs import (
    PLUGIN_DIR,
    PLUGINS,
    ProjectStack,
    app_writes,
    configure_stack,
    lives_through_preview_drift_rotation_and_destroy,
    made_by_first_up,
)
from tests.real_cli import Sandbox
from tests.test_cli_e2e import as_written

pytestmark = [pytest.mark.cli, pytest.mark.timeout(600)]

WALKED: tuple[Anchor, ...] = (
    ("docs/installation-configuration.md", "Its stack needs this config:"),
    ("docs/guides/adopting-and-importing.md", "## Import it (native plugin)"),
)
"""Where the docs' blocks of `pulumi` lines for the native plugin are: run below as written."""
API_KEY = "native-api-key-0001"
CLIENT_SECRET = "native-client-secret-0001"
WEBHOOK_SECRET = "native-webhook-secret-0001"
ROTATED = "native-client-secret-0002"


class YamlStack(ProjectStack):
    """A YAML project of its own, one stack, driven with the real CLI."""

    def write(self, resources: dict[str, Any], outputs: dict[str, str] | None = None) -> None:
        program = {
            "name": "recall-native",
            "runtime": "yaml",
            "plugins": PLUGINS,
            "config": {
                "clientSecret": {"type": "string", "secret": True},
                "webhookSecret": {"type": "string", "secret": True},
            },
            "resources": resources,
            "outputs": outputs or {},
        }
        (self.project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))


def app(client_id: str, **options: Any) -> dict[str, Any]:
    """A ``recall:index:ZoomOAuthApp`` of the program, its secrets from the stack's config."""
    resource: dict[str, Any] = {
        "type": RESOURCE,
        "properties": {
            "clientId": client_id,
            "clientSecret": "${clientSecret}",
            "webhookSecret": "${webhookSecret}",
        },
    }
    if options:
        resource["options"] = options
    return resource


@pytest.fixture
def stack(sandbox: Sandbox, fresh_emulator: EmulatorServer, tmp_path: Path) -> YamlStack:
    project = tmp_path / "yaml"
    project.mkdir()
    made = YamlStack(sandbox, project)
    made.write({"app": app("zoomClientNative")})
    configure_stack(
        sandbox, project, fresh_emulator, api_key=API_KEY, secrets=(CLIENT_SECRET, WEBHOOK_SECRET)
    )
    return made


def test_a_yaml_program_lives_through_up_preview_drift_rotation_and_destroy(
    stack: YamlStack, fresh_emulator: EmulatorServer
) -> None:
    stack.write({"app": app("zoomClientNative")}, {"id": "${app.id}", "url": "${app.webhookUrl}"})
    made = made_by_first_up(
        stack, fresh_emulator, secrets=(CLIENT_SECRET, WEBHOOK_SECRET, API_KEY), url_output="url"
    )

    lives_through_preview_drift_rotation_and_destroy(
        stack, fresh_emulator, made["id"], webhook_secret=WEBHOOK_SECRET, rotated=ROTATED
    )


def test_two_explicit_providers_manage_apps_in_two_workspaces(
    stack: YamlStack, fresh_emulator: EmulatorServer, emulator_factory: EmulatorFactory
) -> None:
    other = emulator_factory()
    providers = {
        name: {
            "type": "pulumi:providers:recall",
            "properties": {"apiKey": {"fn::secret": f"{name}-api-key-0001"}, "apiUrl": url},
        }
        for name, url in (("acme", fresh_emulator.url), ("globex", other.url))
    }
    stack.write(
        {
            **providers,
            "acmeApp": app("zoomClientAcme", provider="${acme}"),
            "globexApp": app("zoomClientGlobex", provider="${globex}"),
        }
    )
    stack.pulumi("up", "--yes")
    assert [a["client_id"] for a in fresh_emulator.backend.apps()] == ["zoomClientAcme"]
    assert [a["client_id"] for a in other.backend.apps()] == ["zoomClientGlobex"]
    assert "acme-api-key-0001" not in stack.export()
    stack.pulumi("preview", "--expect-no-changes")
    stack.pulumi("destroy", "--yes")
    assert fresh_emulator.backend.apps() == other.backend.apps() == []


def test_pulumi_import_takes_an_app_made_by_hand_with_every_input(
    stack: YamlStack, fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    by_hand = make_app(fresh_emulator, client_id="zoomClientByHand")
    stack.write({})
    (line,) = doc_commands(*WALKED[1])
    as_written(stack.box, stack.project, line, {"<app-id>": by_hand["id"]})
    state = json.loads(stack.export())
    (imported,) = [r for r in state["deployment"]["resources"] if r["type"] == RESOURCE]
    assert imported["id"] == by_hand["id"]
    inputs = imported["inputs"]
    assert inputs["clientId"] == "zoomClientByHand"
    assert inputs["kind"] == "user_level"
    for name in ("clientSecret", "webhookSecret"):
        assert "ciphertext" in inputs[name], f"{name} is kept as a secret"
    assert "client-secret-by-hand" not in json.dumps(state)

    # The code it generates is a valid program: with it, the next up changes nothing.
    other = make_app(fresh_emulator, client_id="zoomClientOther")
    generated = tmp_path / "imported.yaml"
    stack.pulumi("import", RESOURCE, "other", other["id"], "--yes", "--out", str(generated))
    code = yaml.safe_load(generated.read_text())
    resources = {"zoom": app("zoomClientByHand"), "other": code["resources"]["other"]}
    assert resources["other"]["type"] in (RESOURCE, "recall:ZoomOAuthApp")
    resources["zoom"]["options"] = {"protect": True}
    stack.pulumi("config", "set", "--secret", "clientSecret", "client-secret-by-hand")
    stack.pulumi("config", "set", "--secret", "webhookSecret", "webhook-secret-by-hand")
    stack.write(resources)
    fresh_emulator.app.clear_requests()
    stack.pulumi("preview", "--expect-no-changes")
    stack.pulumi("up", "--yes")
    assert app_writes(fresh_emulator) == [], "the imported apps are left as they are"


def test_an_import_of_an_id_recall_lacks_fails_with_one_line_naming_it(
    stack: YamlStack,
) -> None:
    missing = "7b0e3c1e-0000-4000-8000-00000000abcd"
    stack.write({})
    failed = stack.pulumi("import", RESOURCE, "ghost", missing, "--yes", check=False)
    assert failed.code != 0
    lines = [line for line in failed.output.splitlines() if "import_not_found" in line]
    assert lines, failed.output
    assert missing in lines[0]
    assert "Traceback" not in failed.output


def test_the_docs_yaml_program_runs_as_written(
    sandbox: Sandbox, fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    project = tmp_path / "docs"
    project.mkdir()
    # The overview's program, its placeholders filled: the plugin's folder, and a client id.
    program = yaml.safe_load(doc_block("docs/_index.md", "### YAML", "yaml"))
    assert program["resources"]["zoom"]["properties"]["clientId"] == "<Zoom Client ID>"
    program["resources"]["zoom"]["properties"]["clientId"] = "zoomClientReadme"
    (plugin,) = program["plugins"]["providers"]
    assert plugin["path"].startswith("<"), "the plugin's folder is the reader's"
    plugin["path"] = str(PLUGIN_DIR)
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    answers = {
        "recall:apiKey": API_KEY,
        "clientSecret": CLIENT_SECRET,
        "webhookSecret": WEBHOOK_SECRET,
    }
    lines = doc_commands(*WALKED[0])
    assert lines[-1] == "pulumi up"
    for line in lines[:-1]:
        as_written(sandbox, project, line, answers)
    # The one line the docs' walkthrough lacks here: Recall is the emulator (apiUrl wins).
    sandbox.run("config", "set", "recall:apiUrl", fresh_emulator.url, cwd=project)
    as_written(sandbox, project, lines[-1], answers)
    (made,) = fresh_emulator.backend.apps()
    assert (made["client_id"], made["client_secret"]) == ("zoomClientReadme", CLIENT_SECRET)
    outputs = sandbox.run("stack", "output", "--json", cwd=project).json()
    assert outputs == {"zoomOauthAppId": made["id"], "webhookUrl": outputs["webhookUrl"]}
    assert outputs["webhookUrl"].endswith(f"/{made['id']}/webhook")
