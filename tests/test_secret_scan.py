"""One whole lifecycle, scanned: the program's stack outputs, the provider's outputs that are
not marked secret, every pickled provider, every error message the engine would print, the
host's stderr and every log line of an in-process run at DEBUG. No plaintext API key, client
secret or webhook secret may appear in any of them."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import quote

import pulumi
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from recall_provider.emulator import EmulatorServer, Fault
from recall_provider.provider import SECRETS as SECRET_OUTPUTS
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.host_harness import PROVIDER_KEY, Engine, HostError, ProviderHost
from tests.program_harness import APP_TYPE, Run, run_program

pytestmark = pytest.mark.host

API_KEY = "scan-api-key-0123456789abcdef"
CLIENT_SECRET = "scan-client-secret-0123456789"
WEBHOOK_SECRET = "scan-webhook-secret-0123456789"
CLIENT_SECRET_2 = "scan-client-secret-rotated-987"
WEBHOOK_SECRET_2 = "scan-webhook-secret-rotated-987"
SECRETS = {
    "API key": API_KEY,
    "client secret": CLIENT_SECRET,
    "webhook secret": WEBHOOK_SECRET,
    "rotated client secret": CLIENT_SECRET_2,
    "rotated webhook secret": WEBHOOK_SECRET_2,
}
SECRET_CONFIG = ("recall:apiKey", "recall-zoom:clientSecret", "recall-zoom:webhookSecret")
APPS = r"^/api/v2/zoom-oauth-apps/$"
ONE_APP = r"^/api/v2/zoom-oauth-apps/[^/]+/$"
WEBHOOK = r"/webhook$"


class HostMocks(pulumi.runtime.Mocks):
    """Mocks that answer the program's app with the real provider, through the real host."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ != APP_TYPE:
            return f"{args.name}-id", dict(args.inputs)
        # The engine strips secret markers for a host that does not accept secrets.
        inputs = {k: rpc.unwrap_rpc_secret(v) for k, v in args.inputs.items()}
        self.engine.up(args.name, inputs)
        state = self.engine.state[args.name]
        return state.id, {k: v for k, v in state.outputs.items() if k != PROVIDER_KEY}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


class Scanner:
    """Everything the test could see, by where it was seen."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def see(self, where: str, value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value, default=repr)
        self.seen.append((where, text))

    def see_state(self, where: str, engine: Engine) -> None:
        for name, state in engine.state.items():
            plain = {k: v for k, v in state.outputs.items() if k not in SECRET_OUTPUTS}
            self.see(f"{where}: outputs of {name} not marked secret", plain)
            for side, props in (("inputs", state.inputs), ("outputs", state.outputs)):
                blob = props.get(PROVIDER_KEY)
                if isinstance(blob, str):
                    pickled = base64.b64decode(blob).decode("latin-1")
                    self.see(f"{where}: pickled provider in {side} of {name}", pickled)

    def see_error(self, where: str, action: Any) -> str:
        with pytest.raises(HostError) as info:
            action()
        self.see(f"{where}: error", info.value.details)
        return info.value.last_line

    def leaks(self) -> list[str]:
        found = []
        for where, text in self.seen:
            for label, secret in SECRETS.items():
                if secret in text or quote(secret) in text or _b64(secret) in text:
                    found.append(f"{label} in {where}")
        return found


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def stack_outputs(run: Run) -> dict[str, Any]:
    """The stack outputs as ``pulumi stack output`` shows them: secret ones stay wrapped."""
    assert run.monitor.stack_outputs is not None, "the program exported nothing"
    outputs = dict(rpc.deserialize_properties(run.monitor.stack_outputs))
    return {k: "[secret]" if rpc.is_rpc_secret(v) else v for k, v in outputs.items()}


def program_config(url: str, client_secret: str, webhook_secret: str) -> dict[str, Any]:
    return {
        "recall:apiKey": API_KEY,
        "recall:apiUrl": url,
        "recall-zoom:clientId": "zoomClientScan",
        "recall-zoom:clientSecret": client_secret,
        "recall-zoom:webhookSecret": webhook_secret,
    }


@pytest.mark.parametrize("mode", ["plain", "masked", "omit"])
def test_a_whole_lifecycle_leaks_no_secret(
    host: ProviderHost, emu: EmulatorServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    emu.backend.secrets_in_responses = mode  # type: ignore[assignment]
    try:
        scanner = Scanner()
        engine = Engine(host)
        first = program_config(emu.url, CLIENT_SECRET, WEBHOOK_SECRET)
        rotated = program_config(emu.url, CLIENT_SECRET_2, WEBHOOK_SECRET_2)

        # up: the program creates the app through the real host
        run = run_program(first, SECRET_CONFIG, mocks=HostMocks(engine))
        outputs = stack_outputs(run)
        assert outputs["zoom_oauth_app_id"] == engine.state["zoom"].id
        assert outputs["webhook_self_check_at"], "the self-check ran"
        scanner.see("stack outputs after create", outputs)
        scanner.see_state("after create", engine)
        # The secrets did reach the outputs the engine marks secret: the scan is not vacuous.
        assert engine.state["zoom"].outputs["client_secret"] == CLIENT_SECRET
        props = engine.state["zoom"].inputs

        # no-op preview, refresh, rotation
        assert engine.preview("zoom", props).op == "same"
        assert engine.refresh("zoom") == "same"
        scanner.see_state("after refresh", engine)
        run = run_program(rotated, SECRET_CONFIG, mocks=HostMocks(engine))
        scanner.see("stack outputs after rotation", stack_outputs(run))
        scanner.see_state("after rotation", engine)
        assert emu.backend.get(engine.state["zoom"].id)["webhook_secret"] == WEBHOOK_SECRET_2  # type: ignore[index]

        # every failure the engine could print while rotating back
        props_back = {
            **engine.state["zoom"].inputs,
            "client_secret": CLIENT_SECRET,
            "webhook_secret": WEBHOOK_SECRET,
        }
        for label, fault in [
            ("5xx burst", Fault(method="PATCH", path=ONE_APP, status=503, times=20)),
            ("401", Fault(status=401, times=5)),
            ("403", Fault(status=403, times=5)),
            ("400", Fault(method="PATCH", path=ONE_APP, status=400)),
            ("failed self-check", Fault(method="POST", path=WEBHOOK, status=401)),
        ]:
            emu.app.clear_faults()
            emu.app.add_fault(fault)
            scanner.see_error(f"update, {label}", lambda: engine.up("zoom", props_back))
        emu.app.clear_faults()
        scanner.see_error(
            "refresh, 401", _with_fault(emu, Fault(status=401), lambda: engine.refresh("zoom"))
        )
        scanner.see_error(
            "destroy, 500s",
            _with_fault(emu, Fault(status=500, times=20), lambda: engine.destroy("zoom")),
        )
        app_id = engine.state["zoom"].id
        emu.backend.reset()
        line = scanner.see_error("update of a vanished app", lambda: engine.up("zoom", props_back))
        assert "pulumi refresh" in line
        scanner.see_error(
            "create, 401", _with_fault(emu, Fault(status=401), lambda: engine.up("new", props_back))
        )
        assert engine.refresh("zoom") == "deleted", f"{app_id} is gone"
        engine.up("zoom", props_back)
        scanner.see_state("after re-create", engine)
        engine.destroy("zoom")
        scanner.see("host stderr", host.host_stderr())
        scanner.see("emulator request log", repr(emu.app.requests))

        # the provider in this process: pickled once configured, and every log line at DEBUG
        with caplog.at_level(logging.DEBUG):
            provider = RecallZoomOAuthAppProvider()
            config = {"recall:apiKey": API_KEY, "recall:apiUrl": emu.url}
            provider.configure(ConfigureRequest(Config(config, "recall-zoom")))
            created = provider.create(_plain(props_back))
            provider.read(created.id, created.outs or {})
            provider.update(created.id, created.outs or {}, _plain(props))
            emu.app.add_fault(Fault(method="DELETE", status=401))
            with pytest.raises(Exception) as info:  # noqa: PT011 - any failure is scanned
                provider.delete(created.id, created.outs or {})
            scanner.see("in-process error", f"{info.value!s} {info.value!r}")
            provider.delete(created.id, created.outs or {})
            scanner.see("pickled configured provider", serialize_provider(provider))
            scanner.see(
                "pickled configured provider (decoded)",
                base64.b64decode(serialize_provider(provider)).decode("latin-1"),
            )
        assert caplog.records, "the client logs each request at DEBUG"
        scanner.see("log lines", "\n".join(r.getMessage() for r in caplog.records))

        assert len(scanner.seen) > 20
        assert scanner.leaks() == []
    finally:
        emu.backend.secrets_in_responses = "plain"


def _with_fault(emu: EmulatorServer, fault: Fault, action: Any) -> Any:
    def run() -> Any:
        emu.app.add_fault(fault)
        try:
            return action()
        finally:
            emu.app.clear_faults()

    return run


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}
