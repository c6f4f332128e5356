"""The whole program through the Pulumi CLI (Automation API), on a file backend, vs the emulator.

Runs only where a ``pulumi`` binary is on PATH (it cannot be installed on our CI machines); the
rest of the suite proves the same behaviour through the real provider host without it.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

import pytest
import requests

from recall_provider.emulator import EmulatorServer
from tests.host_harness import ROOT

PULUMI = shutil.which("pulumi")

pytestmark = [
    pytest.mark.cli,
    pytest.mark.skipif(
        PULUMI is None,
        reason="no `pulumi` binary on PATH: the Automation API lifecycle test needs the Pulumi "
        "CLI (install it from https://www.pulumi.com/docs/iac/download-install/)",
    ),
]

API_KEY = "cli-lifecycle-key"


def project_copy(tmp_path: Path) -> Path:
    """The program in a scratch directory, using this interpreter's environment."""
    work = tmp_path / "project"
    (work / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "__main__.py", work / "__main__.py")
    text = (ROOT / "Pulumi.yaml").read_text()
    # The provider package is installed in the interpreter running the tests; point at it.
    text = text.replace("virtualenv: .venv", f"virtualenv: {Path(sys.prefix)}")
    (work / "Pulumi.yaml").write_text(text)
    return work


@pytest.mark.timeout(900)
def test_up_preview_refresh_recreate_destroy(
    tmp_path: Path, fresh_emulator: EmulatorServer
) -> None:
    from pulumi import automation as auto

    env = {
        "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "lifecycle-test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    (tmp_path / "state").mkdir()
    stack = auto.create_or_select_stack(
        stack_name=f"lifecycle-{uuid.uuid4().hex[:8]}",
        work_dir=str(project_copy(tmp_path)),
        opts=auto.LocalWorkspaceOptions(env_vars=env),
    )
    stack.set_config("recall:apiUrl", auto.ConfigValue(fresh_emulator.url))
    stack.set_config("recall:apiKey", auto.ConfigValue(API_KEY, secret=True))
    stack.set_config("recall-zoom:placeholderCredentials", auto.ConfigValue("true"))
    try:
        up = stack.up(on_output=print)
        app_id = up.outputs["zoom_oauth_app_id"].value
        assert up.outputs["webhook_url"].value == (
            f"{fresh_emulator.url}/api/v2/zoom-oauth-apps/{app_id}/webhook"
        )
        assert [a["id"] for a in fresh_emulator.backend.apps()] == [app_id]

        fresh_emulator.app.clear_requests()
        stack.preview(expect_no_changes=True, on_output=print)
        assert fresh_emulator.app.count(path="zoom-oauth-apps") == 0, (
            "a no-op preview calls nothing"
        )

        gone = requests.delete(
            f"{fresh_emulator.url}/api/v2/zoom-oauth-apps/{app_id}/",
            headers={"Authorization": f"Token {API_KEY}"},
            timeout=10,
        )
        assert gone.status_code == 204
        stack.refresh(on_output=print)
        again = stack.up(on_output=print)
        new_id = again.outputs["zoom_oauth_app_id"].value
        assert new_id != app_id
        assert [a["id"] for a in fresh_emulator.backend.apps()] == [new_id]

        stack.destroy(on_output=print)
        assert fresh_emulator.backend.apps() == []
    finally:
        stack.workspace.remove_stack(stack.name, force=True)
