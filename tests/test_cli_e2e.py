"""The stack commands the docs show, through the real Pulumi CLI, on a file backend, against the
emulator: exit codes, ``pulumi stack output --json``, ``pulumi stack export`` and the
emulator's request log are what each test asserts on.

The CLI comes from ``tests/real_cli.py`` (PATH, else the cache ``scripts/pulumi_cli.py``
builds); without one these tests skip, or fail where CI built one.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
import signal
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recall_provider.emulator import EmulatorServer
from recall_provider.emulator.faults import Fault
from tests.docs_reader import Anchor, doc_block, doc_commands
from tests.helpers import APPS, make_app
from tests.real_cli import ROOT, Result, Sandbox, project_copy

pytestmark = [pytest.mark.cli, pytest.mark.timeout(600)]

API_KEY = "e2e-api-key-0001"
CLIENT_ID = "zoomClientE2E"
CLIENT_SECRET = "e2e-client-secret-0001"
WEBHOOK_SECRET = "e2e-webhook-secret-0001"
STACK = "e2e"


@dataclass
class Stack:
    """One stack of a project copy, driven with the real CLI."""

    box: Sandbox
    project: Path
    name: str
    emulator: EmulatorServer

    def pulumi(self, *args: str, check: bool = True) -> Result:
        return self.box.run(*args, "--stack", self.name, cwd=self.project, check=check)

    def up(self, *args: str, check: bool = True) -> Result:
        return self.pulumi("up", "--yes", *args, check=check)

    def outputs(self) -> dict[str, Any]:
        found: dict[str, Any] = self.pulumi("stack", "output", "--json").json()
        return found

    def export(self) -> dict[str, Any]:
        found: dict[str, Any] = self.pulumi("stack", "export").json()
        return found

    def config(self, *pairs: str, secret: bool = False) -> None:
        flag = "--secret" if secret else "--plaintext"
        self.pulumi("config", "set-all", *(x for p in pairs for x in (flag, p)))

    def writes(self) -> list[tuple[str, str]]:
        """The emulator's requests that change apps, in order, since its log was cleared."""
        return [
            (r.method, r.path)
            for r in self.emulator.app.requests
            if r.method in ("POST", "PATCH", "DELETE") and "/webhook" not in r.path
        ]


@pytest.fixture
def stack(sandbox: Sandbox, fresh_emulator: EmulatorServer, tmp_path: Path) -> Stack:
    """The repository's program in a stack of its own, configured for one app."""
    project = project_copy(tmp_path / "project")
    sandbox.run("stack", "init", STACK, cwd=project)
    made = Stack(sandbox, project, STACK, fresh_emulator)
    made.config(f"recall:apiUrl={fresh_emulator.url}", f"recall-zoom:clientId={CLIENT_ID}")
    made.config(
        f"recall:apiKey={API_KEY}",
        f"recall-zoom:clientSecret={CLIENT_SECRET}",
        f"recall-zoom:webhookSecret={WEBHOOK_SECRET}",
        secret=True,
    )
    return made


def the_app(stack: Stack) -> dict[str, Any]:
    (app,) = stack.emulator.backend.apps()
    return app


def test_up_twice_exports_the_contract_outputs_and_the_gate_passes(stack: Stack) -> None:
    stack.up()
    outputs = stack.outputs()
    app = the_app(stack)
    assert outputs["zoom_oauth_app_id"] == app["id"]
    assert outputs["webhook_url"] == (
        f"{stack.emulator.url}/api/v2/zoom-oauth-apps/{app['id']}/webhook"
    )
    assert app["client_secret"] == CLIENT_SECRET
    assert app["webhook_last_validation"] is not None, "the self-check validated the URL"

    stack.emulator.app.clear_requests()
    again = stack.up()
    assert stack.writes() == []
    assert "2 unchanged" in again.stdout
    assert stack.emulator.app.count() == 0, "an up without changes calls nothing"

    gate = stack.pulumi("preview", "--refresh", "--expect-no-changes")
    assert gate.code == 0
    assert [(r.method, r.path.rstrip("/")) for r in stack.emulator.app.requests] == [
        ("GET", f"/api/v2/zoom-oauth-apps/{app['id']}")
    ], "the refresh reads the one app, once"


@pytest.mark.parametrize("outside", ["deleted", "changed"])
def test_drift_outside_pulumi_fails_the_gate_then_refresh_and_up_converge(
    stack: Stack, outside: str
) -> None:
    stack.up()
    app_id = stack.outputs()["zoom_oauth_app_id"]
    if outside == "deleted":
        stack.emulator.backend.delete_app(app_id)
    else:
        stack.emulator.backend.update_app(app_id, {"client_secret": "changed-by-hand"})

    gate = stack.pulumi("preview", "--refresh", "--expect-no-changes", check=False)
    assert gate.code != 0
    assert "error: no changes were expected for preview but changes were proposed" in gate.output

    stack.pulumi("refresh", "--yes")
    stack.up()
    assert stack.pulumi("preview", "--refresh", "--expect-no-changes").code == 0
    app = the_app(stack)
    assert stack.outputs()["zoom_oauth_app_id"] == app["id"]
    assert app["client_secret"] == CLIENT_SECRET
    if outside == "deleted":
        assert app["id"] != app_id, "a new app for the deleted one"
    else:
        assert app["id"] == app_id, "the changed app is set right in place"


def test_a_client_secret_rotation_is_one_patch(stack: Stack) -> None:
    stack.up()
    before = stack.outputs()
    stack.emulator.app.clear_requests()

    stack.config("recall-zoom:clientSecret=e2e-client-secret-0002", secret=True)
    stack.up()
    app_path = f"/api/v2/zoom-oauth-apps/{before['zoom_oauth_app_id']}/"
    assert stack.writes() == [("PATCH", app_path)]
    after = stack.outputs()
    assert after["zoom_oauth_app_id"] == before["zoom_oauth_app_id"]
    assert after["webhook_url"] == before["webhook_url"]
    assert the_app(stack)["client_secret"] == "e2e-client-secret-0002"


NEW_KEY = "e2e-api-key-0002"


def rotate_the_api_key(stack: Stack) -> None:
    """An up with the old key, then the key rotated in Recall (the old one refused from now
    on) and in the stack's config, as the docs' "Rotating secrets" tells."""
    stack.emulator.backend.api_keys = frozenset({API_KEY})
    stack.up()
    stack.emulator.backend.api_keys = frozenset({NEW_KEY})
    stack.config(f"recall:apiKey={NEW_KEY}", secret=True)


def test_after_an_api_key_rotation_refresh_and_destroy_need_run_program(stack: Stack) -> None:
    rotate_the_api_key(stack)
    # Without --run-program, refresh and destroy use the provider as the last up left it.
    for command in ("refresh", "destroy"):
        stale = stack.pulumi(command, "--yes", check=False)
        assert stale.code != 0
        assert "401" in stale.output
        assert "e2e-api-key" not in stale.output
    assert len(stack.emulator.backend.apps()) == 1, "nothing was deleted with the old key"

    assert stack.pulumi("refresh", "--yes", "--run-program").code == 0
    stack.pulumi("destroy", "--yes", "--run-program")
    assert stack.emulator.backend.apps() == []


@pytest.mark.parametrize("first", ["up", "refresh --run-program"])
def test_after_an_api_key_rotation_an_up_or_a_refresh_with_the_program_records_the_key(
    stack: Stack, first: str
) -> None:
    rotate_the_api_key(stack)
    stack.pulumi(*first.split(), "--yes")
    assert stack.pulumi("refresh", "--yes").code == 0
    stack.pulumi("destroy", "--yes")
    assert stack.emulator.backend.apps() == []


def every_form(secret: str) -> list[str]:
    """A secret as text may carry it: plain, URL-encoded and base64."""
    return [secret, urllib.parse.quote(secret), base64.b64encode(secret.encode()).decode()]


def test_no_secret_in_the_state_the_outputs_or_anything_the_cli_printed(stack: Stack) -> None:
    # At the default verbosity: at -v=9 the engine logs every property it marshals, secrets
    # included (the troubleshooting guide says so).
    stack.up()
    stack.config("recall-zoom:webhookSecret=e2e-webhook-secret-0002", secret=True)
    stack.up()
    stack.pulumi("preview", "--refresh", "--expect-no-changes")
    stack.outputs()
    exported = json.dumps(stack.export())
    stack.pulumi("destroy", "--yes")
    printed = "\n".join(r.output for r in stack.box.transcript)
    logs = "\n".join(
        p.read_text(errors="replace") for p in stack.box.home.rglob("*") if p.is_file()
    )
    secrets = [API_KEY, CLIENT_SECRET, WEBHOOK_SECRET, "e2e-webhook-secret-0002"]
    for where, text in (("stack export", exported), ("CLI output", printed), ("home", logs)):
        for secret in secrets:
            for form in every_form(secret):
                assert form not in text, f"{secret!r} ({form!r}) in the {where}"
    assert "e2e-client-secret" not in printed


def interrupted_create(stack: Stack, kill: signal.Signals) -> None:
    """Start an up, and kill it while Recall holds the POST (made, not yet answered)."""
    stack.emulator.app.add_fault(Fault(method="POST", path=APPS, delay=30, after_processing=True))
    running = stack.box.start("up", "--yes", "--stack", stack.name, cwd=stack.project)
    deadline = time.monotonic() + 120
    while not stack.emulator.backend.apps():
        assert running.poll() is None, running.communicate()[0]
        assert time.monotonic() < deadline, "the create never reached Recall"
        time.sleep(0.1)
    if kill == signal.SIGINT:
        # Ctrl-C twice: the first one waits for the create, the second one does not.
        os.kill(running.pid, signal.SIGINT)
        time.sleep(0.5)
        os.kill(running.pid, signal.SIGINT)
    else:
        os.killpg(running.pid, signal.SIGKILL)
    out, _ = running.communicate(timeout=60)
    assert running.returncode != 0, out
    stack.emulator.app.clear_faults()


@pytest.mark.parametrize("kill", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c-twice", "sigkill"])
def test_an_up_killed_in_the_middle_of_a_create_then_up_again_makes_one_app(
    stack: Stack, kill: signal.Signals
) -> None:
    if kill == signal.SIGKILL and not Path("/proc").is_dir():
        pytest.skip("the hosts a killed CLI leaves are found through /proc (Linux)")
    interrupted_create(stack, kill)
    (made,) = stack.emulator.backend.apps()
    if kill == signal.SIGKILL:
        # A killed CLI leaves the file backend's lock: the next up refuses to start.
        locked = stack.up(check=False)
        assert locked.code != 0
        assert "the stack is currently locked" in locked.output
        stack.pulumi("cancel", "--yes")
    stack.up()
    assert stack.emulator.backend.apps() == [stack.emulator.backend.get(made["id"])]
    assert stack.outputs()["zoom_oauth_app_id"] == made["id"]
    assert stack.pulumi("preview", "--refresh", "--expect-no-changes").code == 0
    # The interrupted create stays pending in state, whatever the ups after it did, until a
    # refresh clears it (the troubleshooting guide); with --yes it needs no terminal.
    assert pending(stack) == ["creating"]
    stack.pulumi("refresh", "--clear-pending-creates", "--yes")
    assert pending(stack) == []
    assert stack.outputs()["zoom_oauth_app_id"] == made["id"]


def pending(stack: Stack) -> list[str]:
    operations = stack.export()["deployment"].get("pending_operations") or []
    return [str(op["type"]) for op in operations]


def test_a_refresh_reads_each_app_once_per_phase(stack: Stack) -> None:
    # The CLI starts a provider host per phase: `pulumi refresh` previews (one Read of each
    # resource) and then refreshes (another); the drift gate reads once, and so does a
    # refresh with --skip-preview.
    stack.up()
    app_path = f"/api/v2/zoom-oauth-apps/{stack.outputs()['zoom_oauth_app_id']}/"
    for command, reads in (
        (("refresh", "--yes"), 2),
        (("refresh", "--yes", "--skip-preview"), 1),
        (("preview", "--refresh", "--expect-no-changes"), 1),
    ):
        stack.emulator.app.clear_requests()
        stack.pulumi(*command)
        assert stack.emulator.app.count(method="GET", path=app_path) == reads, command
        assert stack.emulator.app.count() == reads, command


def test_three_apps_one_adopted_then_a_rename(stack: Stack) -> None:
    by_hand = make_app(stack.emulator, client_id="zoomClientByHand")
    entries = [
        {"name": "alpha", "clientId": "zoomClientAlpha"},
        {"name": "beta", "clientId": "zoomClientBeta"},
        {"name": "gamma", "clientId": "zoomClientByHand", "adoptAppId": by_hand["id"].upper()},
    ]
    stack.pulumi("config", "rm", "recall-zoom:clientId")
    stack.pulumi("config", "rm", "recall-zoom:clientSecret")
    stack.pulumi("config", "rm", "recall-zoom:webhookSecret")
    for i, entry in enumerate(entries):
        for key, value in entry.items():
            stack.pulumi("config", "set", "--path", f"recall-zoom:apps[{i}].{key}", value)
        for key in ("clientSecret", "webhookSecret"):
            secret = f"e2e-{entry['name']}-{key}"
            stack.pulumi("config", "set", "--path", "--secret", f"recall-zoom:apps[{i}].{key}",
                         secret)  # fmt: skip
    stack.up()
    apps = stack.outputs()["apps"]
    assert set(apps) == {"alpha", "beta", "gamma"}
    assert apps["gamma"]["zoom_oauth_app_id"] == by_hand["id"], "adopted, not made"
    assert len(stack.emulator.backend.apps()) == 3
    adopted = stack.emulator.backend.get(by_hand["id"])
    assert adopted is not None
    assert adopted["client_secret"] == "e2e-gamma-clientSecret", "its secrets are the stack's"

    # A rename: the resource of the old name would be deleted, the new one created.
    stack.pulumi("config", "set", "--path", "recall-zoom:apps[1].name", "delta")
    renamed = stack.up(check=False)
    assert renamed.code != 0
    assert "pulumi state rename" in renamed.output
    assert len(stack.emulator.backend.apps()) == 3, "no second app for beta's Zoom app"
    # As the error advises: the state takes the new name, and beta's app stays delta's.
    urn = f"urn:pulumi:{STACK}::recall-zoom::pulumi-python:dynamic/recall:ZoomOAuthApp::beta"
    stack.pulumi("state", "rename", urn, "delta", "--yes")
    stack.up()
    after = stack.outputs()["apps"]
    assert after["delta"]["zoom_oauth_app_id"] == apps["beta"]["zoom_oauth_app_id"]
    assert len(stack.emulator.backend.apps()) == 3


def test_another_stack_consumes_the_outputs_by_stack_reference_as_the_docs_show(
    stack: Stack, tmp_path: Path
) -> None:
    stack.up()
    outputs = stack.outputs()
    # The docs' snippet, with its stack name for this backend's (organization/project/stack).
    snippet = doc_block(
        "docs/guides/consuming-outputs.md", "## From another Pulumi stack", "python"
    )
    assert 'StackReference("my-org/recall-zoom/prod")' in snippet
    python = tmp_path / "consumer-python"
    python.mkdir()
    (python / "Pulumi.yaml").write_text("name: consumer-python\nruntime: python\n")
    program = snippet.replace("my-org/recall-zoom/prod", f"organization/recall-zoom/{STACK}")
    program += 'pulumi.export("app_id", app_id)\npulumi.export("webhook_url", webhook_url)\n'
    (python / "__main__.py").write_text(program)
    # And a YAML program (no SDK at all), run by the CLI's YAML language host.
    yaml = tmp_path / "consumer-yaml"
    yaml.mkdir()
    (yaml / "Pulumi.yaml").write_text(
        "name: consumer-yaml\nruntime: yaml\nresources:\n  zoom:\n"
        "    type: pulumi:pulumi:StackReference\n"
        f"    properties:\n      name: organization/recall-zoom/{STACK}\n"
        "outputs:\n"
        '  app_id: ${zoom.outputs["zoom_oauth_app_id"]}\n'
        '  webhook_url: ${zoom.outputs["webhook_url"]}\n'
    )
    for project in (python, yaml):
        stack.box.run("stack", "init", "consumer", cwd=project)
        stack.box.run("up", "--yes", "--stack", "consumer", cwd=project)
        consumed = stack.box.run("stack", "output", "--json", "--stack", "consumer", cwd=project)
        assert consumed.json() == {
            "app_id": outputs["zoom_oauth_app_id"],
            "webhook_url": outputs["webhook_url"],
        }, project.name


def test_the_commands_that_read_a_stack_through_the_cli(stack: Stack, tmp_path: Path) -> None:
    stack.up()
    outputs = stack.outputs()
    app_id = outputs["zoom_oauth_app_id"]

    def command(*args: str) -> Result:
        argv = [sys.executable, "-m", "recall_provider.cli", *args, "--stack", STACK]
        return stack.box.command(argv, cwd=stack.project, check=False)

    health = command("health", "--json")
    assert health.code in (0, 1), health.output
    (judged,) = json.loads(health.stdout)
    assert judged["id"] == app_id
    assert health.code == (0 if judged["status"] == "ok" else 1)

    logs = command("logs")
    assert logs.code == 0, logs.output

    manifest = command("manifest", "--output", str(tmp_path / "zoom-manifest.json"))
    assert manifest.code == 0, manifest.output
    assert outputs["webhook_url"] in (tmp_path / "zoom-manifest.json").read_text()
    for result in (health, logs, manifest):
        assert "Traceback" not in result.output
        for secret in (API_KEY, CLIENT_SECRET, WEBHOOK_SECRET):
            assert secret not in result.output


WALKED: tuple[Anchor, ...] = (
    ("docs/guides/first-stack.md", "## 1. Choose a backend"),
    ("docs/guides/first-stack.md", "## 2. Create the stack and set its config"),
    ("docs/guides/first-stack.md", "## 3. Create the app"),
    ("docs/guides/first-stack.md", "## 4. The Zoom side"),
    ("docs/guides/consuming-outputs.md", "## From CI or a script"),
    ("docs/guides/drift-gate.md", "# The drift gate in CI"),
    ("docs/guides/rotating-secrets.md", "## A Zoom secret"),
    ("docs/guides/several-apps.md", "# Several apps in one stack"),
    ("docs/guides/several-apps.md", "## Outputs"),
    ("docs/installation-configuration.md", "Running it from the clone's root takes this config"),
    ("docs/guides/adopting-and-importing.md", "## Adopt it (both doors)"),
)
"""Where the docs' blocks of `pulumi` lines are (a doc, and the heading or line each block
follows): the tests below run each of them as written."""


def as_written(box: Sandbox, project: Path, line: str, answers: dict[str, str]) -> Result:
    """One command line of the docs: its ``<placeholders>`` filled, a value it prompts for
    given on standard input, and ``--yes`` for an ``up``, ``import`` or ``destroy`` (the docs'
    ask at a terminal; a test has none)."""
    for placeholder, value in answers.items():
        if placeholder.startswith("<"):
            line = line.replace(placeholder, value)
    argv = shlex.split(line)
    assert argv[0] == "pulumi", line
    assert "<" not in line, f"a placeholder left in {line!r}"
    stdin = ""
    if argv[1:3] == ["config", "set"]:
        given = [word for word in argv[3:] if not word.startswith("-")]
        if len(given) == 1:
            stdin = answers[given[0]]  # `pulumi config set [--path] --secret KEY` prompts
    if argv[1] in ("up", "import", "destroy"):
        argv.append("--yes")
    return box.run(*argv[1:], cwd=project, stdin=stdin)


def test_the_docs_stack_commands_run_as_written(
    sandbox: Sandbox, fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    project = project_copy(tmp_path / "project")
    answers = {
        "<backend-url>": sandbox.backend_url,
        "<Zoom Client ID>": CLIENT_ID,
        "<acme Client ID>": "zoomClientAcme",
        "recall:apiKey": API_KEY,
        "recall-zoom:clientSecret": CLIENT_SECRET,
        "recall-zoom:webhookSecret": WEBHOOK_SECRET,
        "recall-zoom:apps[0].clientSecret": "docs-acme-client-secret",
        "recall-zoom:apps[0].webhookSecret": "docs-acme-webhook-secret",
    }

    def run(anchor: Anchor) -> list[Result]:
        return [as_written(sandbox, project, line, answers) for line in doc_commands(*anchor)]

    # The first real stack, step by step: backend, stack and config, up, the Zoom side.
    (login,) = doc_commands(*WALKED[0])
    assert login == "pulumi login <backend-url>"
    run(WALKED[0])
    config = doc_commands(*WALKED[1])
    assert config[0] == "pulumi stack init prod"
    run(WALKED[1])
    # The one line the guide lacks here: Recall is the emulator (apiUrl wins over region).
    sandbox.run("config", "set", "recall:apiUrl", fresh_emulator.url, cwd=project)
    assert doc_commands(*WALKED[2]) == ["pulumi up"]
    run(WALKED[2])
    (app,) = fresh_emulator.backend.apps()
    assert (app["client_id"], app["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    (checklist,) = run(WALKED[3])
    url = f"{fresh_emulator.url}/api/v2/zoom-oauth-apps/{app['id']}/webhook"
    assert checklist.json()["event_notification_url_production"] == url

    ci = run(WALKED[4])
    assert ci[0].json()["zoom_oauth_app_id"] == app["id"]
    assert ci[1].stdout.strip() == app["id"]
    gate = as_written(sandbox, project, doc_commands(*WALKED[5])[0], answers)
    assert gate.code == 0

    fresh_emulator.app.clear_requests()
    answers["recall-zoom:webhookSecret"] = "docs-rotated-webhook-secret"
    run(WALKED[6])
    assert [r.method for r in fresh_emulator.app.requests if "/webhook" not in r.path] == [
        "PATCH"
    ], "one PATCH, and the self-check of the new secret"
    rotated = fresh_emulator.backend.get(app["id"])
    assert rotated is not None
    assert rotated["webhook_secret"] == answers["recall-zoom:webhookSecret"]

    assert doc_commands(*WALKED[7])[-1] == "pulumi up"
    run(WALKED[7])
    acme = [a for a in fresh_emulator.backend.apps() if a["client_id"] == "zoomClientAcme"]
    assert [a["client_secret"] for a in acme] == ["docs-acme-client-secret"]
    assert len(fresh_emulator.backend.apps()) == 2
    (apps,) = run(WALKED[8])
    assert set(apps.json()) == {"zoom", "acme"}
    assert apps.json()["acme"]["zoom_oauth_app_id"] == acme[0]["id"]


def test_the_adoption_guide_runs_as_written(stack: Stack) -> None:
    by_hand = make_app(
        stack.emulator,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        webhook_secret=WEBHOOK_SECRET,
    )
    stack.emulator.app.clear_requests()
    for line in doc_commands(*WALKED[10]):
        as_written(stack.box, stack.project, line, {"<app-id>": by_hand["id"]})
    assert stack.outputs()["zoom_oauth_app_id"] == by_hand["id"]
    assert stack.writes() == [], "adopted as Recall holds it: nothing made or changed"
    assert [a["id"] for a in stack.emulator.backend.apps()] == [by_hand["id"]]


def test_the_docs_program_of_your_own_runs_with_the_library_alone(
    sandbox: Sandbox, fresh_emulator: EmulatorServer, library_venv: Path, tmp_path: Path
) -> None:
    # The example as the docs set it up, its virtualenv the library installed alone: that is
    # where the CLI runs its provider.
    project = tmp_path / "own-program"
    shutil.copytree(ROOT / "examples" / "own-program", project)
    settings = (project / "Pulumi.yaml").read_text()
    assert "virtualenv: venv" in settings
    venv_home = library_venv.parent.parent
    (project / "Pulumi.yaml").write_text(
        settings.replace("virtualenv: venv", f"virtualenv: {venv_home}")
    )
    sandbox.python = library_venv  # and the program runs there too
    answers = {
        "<Zoom Client ID>": "zoomClientOwnProgram",
        "recall:apiKey": API_KEY,
        "my-zoom-app:clientSecret": CLIENT_SECRET,
        "my-zoom-app:webhookSecret": WEBHOOK_SECRET,
    }
    lines = doc_commands(*WALKED[9])
    assert lines[0] == "cd examples/own-program"
    for line in lines[1:-1]:
        as_written(sandbox, project, line, answers)
    sandbox.run("config", "set", "recall:apiUrl", fresh_emulator.url, cwd=project)
    as_written(sandbox, project, lines[-1], answers)
    (app,) = fresh_emulator.backend.apps()
    assert app["client_id"] == "zoomClientOwnProgram"
    outputs = sandbox.run("stack", "output", "--json", cwd=project).json()
    assert outputs["zoom_oauth_app_id"] == app["id"]
    sandbox.run("destroy", "--yes", cwd=project)
    assert fresh_emulator.backend.apps() == []
