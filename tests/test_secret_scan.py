"""One whole lifecycle, scanned: the program's stack outputs, the provider's outputs that are
not marked secret, every pickled provider, every error message the engine would print, the
stderr of a host that logs every logger at DEBUG and every log line of an in-process run at
DEBUG. No plaintext API key, client secret or webhook secret may appear in any of them.

The lifecycle takes the paths where texts are built differently, too: retries (a dropped
connection, a 429 with Retry-After, 503s), retries given up, and the reconciliation after an
ambiguous create (a 503, and an answer lost to the read timeout)."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import pulumi
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from recall_provider.core.spec import SECRETS as SECRET_OUTPUTS
from recall_provider.emulator import EmulatorServer, Fault, RequestRecord
from recall_provider.errors import RecallAppExistsError
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.helpers import APPS, ONE_APP, WEBHOOK
from tests.host_harness import PROVIDER_KEY, Engine, HostError, ProviderHost
from tests.program_harness import APP_TYPE, Run, run_program

pytestmark = pytest.mark.host

T = TypeVar("T")

API_KEY = "scan-api-key-0123456789abcdef"
CLIENT_SECRET = "scan-client-secret-0123456789"
WEBHOOK_SECRET = "scan-webhook-secret-0123456789"
CLIENT_SECRET_2 = "scan-client-secret-rotated-987"
WEBHOOK_SECRET_2 = "scan-webhook-secret-rotated-987"
CLIENT_SECRET_3 = "scan-client-secret-in-process-555"
WEBHOOK_SECRET_3 = "scan-webhook-secret-in-process-555"
SECRETS = {
    "API key": API_KEY,
    "client secret": CLIENT_SECRET,
    "webhook secret": WEBHOOK_SECRET,
    "rotated client secret": CLIENT_SECRET_2,
    "rotated webhook secret": WEBHOOK_SECRET_2,
    "in-process rotated client secret": CLIENT_SECRET_3,
    "in-process rotated webhook secret": WEBHOOK_SECRET_3,
}
SECRET_CONFIG = ("recall:apiKey", "recall-zoom:clientSecret", "recall-zoom:webhookSecret")
# A POST whose app is made but whose answer comes after the 1 s read timeout.
LOST_ANSWER = Fault(method="POST", path=APPS, delay=1.5, after_processing=True)
# The format of the debug host's lines: "<date> <time>,<ms> DEBUG <logger> [<thread>] <message>".
CLIENT_DEBUG_LINE = re.compile(r"^\S+ \S+ DEBUG recall_provider\.client \[", re.MULTILINE)
URLLIB3_DEBUG_LINE = re.compile(r"^\S+ \S+ DEBUG urllib3\.\S+ \[", re.MULTILINE)


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

    def see_error(self, where: str, action: Callable[[], Any]) -> str:
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


def with_fault(
    emu: EmulatorServer, fault: Fault, action: Callable[[], T]
) -> tuple[T, list[RequestRecord]]:
    """Run ``action`` with only ``fault`` armed; return its result and the requests it made.

    Whether the action succeeds or raises, the fault must have fired (a ``faulted`` record in
    the emulator's log), and that record must be logged before this returns: a delayed answer is
    logged only when it ends, and nothing may run on into the next step.
    """
    start = len(emu.app.requests)
    emu.app.clear_faults()
    emu.app.add_fault(fault)
    try:
        result = action()
    finally:
        emu.app.clear_faults()
        deadline = time.monotonic() + fault.delay + 5
        while not any(r.faulted for r in emu.app.requests[start:]):
            assert time.monotonic() < deadline, f"{fault} never fired: {emu.app.requests[start:]}"
            time.sleep(0.02)
    return result, emu.app.requests[start:]


def under_fault(
    emu: EmulatorServer, fault: Fault, action: Callable[[], T]
) -> Callable[[], tuple[T, list[RequestRecord]]]:
    """``with_fault`` to run later (by ``Scanner.see_error``)."""
    return lambda: with_fault(emu, fault, action)


def calls(records: list[RequestRecord], path: str) -> list[tuple[str, int | None, bool]]:
    """Method, status and whether it was faulted, of each logged request to ``path``."""
    return [(r.method, r.status, r.faulted) for r in records if re.search(path, r.path)]


def app_ids(emu: EmulatorServer) -> list[str]:
    return [app["id"] for app in emu.backend.apps()]


@pytest.mark.parametrize("mode", ["plain", "masked", "omit"])
def test_a_whole_lifecycle_leaks_no_secret(
    host_emulator: EmulatorServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Its own host, logging every logger at DEBUG to its stderr, which is scanned.
    host = ProviderHost(
        {
            "recall:apiKey": API_KEY,
            "recall:apiUrl": host_emulator.url,
            "recall:requestTimeout": "1",
        },
        debug_logging=True,
    )
    host_emulator.backend.secrets_in_responses = mode  # type: ignore[assignment]
    try:
        scanner = Scanner()
        engine = Engine(host)
        first = program_config(host_emulator.url, CLIENT_SECRET, WEBHOOK_SECRET)
        rotated = program_config(host_emulator.url, CLIENT_SECRET_2, WEBHOOK_SECRET_2)

        # up: the program creates the app through the real host
        run = run_program(first, SECRET_CONFIG, mocks=HostMocks(engine))
        outputs = stack_outputs(run)
        app_id = engine.state["zoom"].id
        assert outputs["zoom_oauth_app_id"] == app_id
        assert outputs["webhook_self_check_at"], "the self-check ran"
        scanner.see("stack outputs after create", outputs)
        scanner.see_state("after create", engine)
        # The secrets did reach the outputs the engine marks secret: the scan is not vacuous.
        assert engine.state["zoom"].outputs["client_secret"] == CLIENT_SECRET
        assert engine.state["zoom"].outputs["webhook_secret"] == WEBHOOK_SECRET
        props = engine.state["zoom"].inputs

        # no-op preview; refresh whose GET loses its connection once (retried)
        assert engine.preview("zoom", props).op == "same"
        change, records = with_fault(
            host_emulator,
            Fault(method="GET", path=ONE_APP, drop=True),
            lambda: engine.refresh("zoom"),
        )
        assert change == "same"
        assert calls(records, ONE_APP) == [("GET", None, True), ("GET", 200, False)]
        assert engine.state["zoom"].id == app_id
        scanner.see_state("after refresh", engine)

        # rotation by the program, its PATCH throttled once with Retry-After (retried)
        run, records = with_fault(
            host_emulator,
            Fault(method="PATCH", path=ONE_APP, status=429, retry_after=1),
            lambda: run_program(rotated, SECRET_CONFIG, mocks=HostMocks(engine)),
        )
        assert calls(records, ONE_APP) == [("PATCH", 429, True), ("PATCH", 200, False)]
        assert app_ids(host_emulator) == [app_id]
        stored = host_emulator.backend.get(app_id)
        assert stored is not None
        assert (stored["client_secret"], stored["webhook_secret"]) == (
            CLIENT_SECRET_2,
            WEBHOOK_SECRET_2,
        )
        assert engine.state["zoom"].outputs["webhook_secret"] == WEBHOOK_SECRET_2
        scanner.see("stack outputs after rotation", stack_outputs(run))
        scanner.see_state("after rotation", engine)

        # every failure the engine could print while rotating back
        props_back = {
            **engine.state["zoom"].inputs,
            "client_secret": CLIENT_SECRET,
            "webhook_secret": WEBHOOK_SECRET,
        }
        failures = [
            ("401", Fault(status=401, times=5)),
            ("403", Fault(status=403, times=5)),
            ("400", Fault(method="PATCH", path=ONE_APP, status=400)),
            ("failed self-check", Fault(method="POST", path=WEBHOOK, status=401)),
        ]
        # Retries given up wait 3.75-7.5 s each; their texts come from injected answers that
        # are the same whatever the emulator's mode, so one mode runs them.
        exhaust_retries = mode == "plain"
        if exhaust_retries:
            failures.append(
                ("5xx burst", Fault(method="PATCH", path=ONE_APP, status=503, times=20))
            )
        for label, fault in failures:
            scanner.see_error(
                f"update, {label}",
                under_fault(host_emulator, fault, lambda: engine.up("zoom", props_back)),
            )
        scanner.see_error(
            "refresh, 401",
            under_fault(host_emulator, Fault(status=401), lambda: engine.refresh("zoom")),
        )
        if exhaust_retries:
            scanner.see_error(
                "destroy, 500s",
                under_fault(
                    host_emulator,
                    Fault(method="DELETE", status=500, times=20),
                    lambda: engine.destroy("zoom"),
                ),
            )
        assert app_ids(host_emulator) == [app_id], "no failure deleted or duplicated the app"

        # the app vanishes behind Pulumi's back
        host_emulator.backend.reset()
        line = scanner.see_error("update of a vanished app", lambda: engine.up("zoom", props_back))
        assert line.startswith("RecallNotFoundError[gone]: "), line
        assert "pulumi refresh" in line
        scanner.see_error(
            "create, 401",
            under_fault(host_emulator, Fault(status=401), lambda: engine.up("new", props_back)),
        )
        assert engine.refresh("zoom") == "deleted", f"{app_id} is gone"

        # re-create, answered 503: look, POST, list, wait, list again, then POST once more
        _, records = with_fault(
            host_emulator,
            Fault(method="POST", path=APPS, status=503),
            lambda: engine.up("zoom", props_back),
        )
        assert calls(records, APPS) == [
            ("GET", 200, False),
            ("POST", 503, True),
            ("GET", 200, False),
            ("GET", 200, False),
            ("POST", 201, False),
        ]
        assert app_ids(host_emulator) == [engine.state["zoom"].id]
        scanner.see_state("after a re-create answered 503", engine)
        engine.destroy("zoom")
        assert app_ids(host_emulator) == []

        # re-create whose app is made but whose answer is lost: one listing finds the app,
        # which is taken when Recall shows it holding our secrets, and named otherwise
        def lost() -> None:
            with_fault(host_emulator, LOST_ANSWER, lambda: engine.up("zoom", props_back))

        if mode == "plain":
            lost()
        else:
            line = scanner.see_error("create whose answer was lost, secrets hidden", lost)
            assert line.startswith("RecallAppExistsError[app_exists]: "), line
            (made,) = app_ids(host_emulator)
            assert made in line, "the app to adopt"
            assert "adoptAppId" in line, "the setting to set, as the program names it"
            engine.up("zoom", {**props_back, "adopt_app_id": made})
        assert app_ids(host_emulator) == [engine.state["zoom"].id]
        assert engine.state["zoom"].outputs["client_secret"] == CLIENT_SECRET
        scanner.see_state("after a re-create whose answer was lost", engine)
        engine.destroy("zoom")
        assert app_ids(host_emulator) == []

        stderr = host.host_stderr()
        # The host did log at DEBUG, each request and urllib3's retries: the scan is not vacuous.
        assert len(CLIENT_DEBUG_LINE.findall(stderr)) >= 20, stderr[-2000:]
        assert URLLIB3_DEBUG_LINE.search(stderr), stderr[-2000:]
        assert "Incremented Retry" in stderr, stderr[-2000:]
        scanner.see("host stderr", stderr)
        scanner.see("emulator request log", repr(host_emulator.app.requests))

        # the provider in this process: pickled once configured, and every log line at DEBUG
        def command() -> RecallZoomOAuthAppProvider:
            """A provider of a command of its own, as the engine's host for one command."""
            provider = RecallZoomOAuthAppProvider()
            config = {
                "recall:apiKey": API_KEY,
                "recall:apiUrl": host_emulator.url,
                "recall:requestTimeout": "1",
            }
            provider.configure(ConfigureRequest(Config(config, "recall-zoom")))
            return provider

        with caplog.at_level(logging.DEBUG):
            provider = command()
            created = provider.create(_plain(props_back))
            scanner.see("in-process create", _not_secret(created.outs))
            # a GET answered 503 once, retried
            read, records = with_fault(
                host_emulator,
                Fault(method="GET", path=ONE_APP, status=503),
                lambda: provider.read(created.id, created.outs or {}),
            )
            assert read.id == created.id
            assert calls(records, ONE_APP) == [("GET", 503, True), ("GET", 200, False)]
            scanner.see("in-process read", _not_secret(read.outs))
            # a real rotation, to secrets used nowhere before
            news = {
                **_plain(props_back),
                "client_secret": CLIENT_SECRET_3,
                "webhook_secret": WEBHOOK_SECRET_3,
            }
            updated = provider.update(created.id, created.outs or {}, news)
            stored = host_emulator.backend.get(created.id)
            assert stored is not None
            assert (stored["client_secret"], stored["webhook_secret"]) == (
                CLIENT_SECRET_3,
                WEBHOOK_SECRET_3,
            )
            assert (updated.outs or {})["webhook_secret"] == WEBHOOK_SECRET_3
            scanner.see("in-process update", _not_secret(updated.outs))
            destroy = command()
            with pytest.raises(Exception) as info:  # noqa: PT011 - any failure is scanned
                with_fault(
                    host_emulator,
                    Fault(method="DELETE", status=401),
                    lambda: destroy.delete(created.id, updated.outs or {}),
                )
            scanner.see("in-process error", f"{info.value!s} {info.value!r}")
            destroy.delete(created.id, updated.outs or {})
            # a create whose answer is lost, reconciled by listing (or stopped, naming the app)
            provider = command()
            if mode == "plain":
                again, records = with_fault(
                    host_emulator, LOST_ANSWER, lambda: provider.create(news)
                )
                assert sorted(calls(records, APPS)) == [
                    ("GET", 200, False),  # the look before the POST
                    ("GET", 200, False),
                    ("POST", 201, True),
                ]
                assert (again.outs or {})["client_secret"] == CLIENT_SECRET_3
                scanner.see("in-process reconciled create", _not_secret(again.outs))
                made = again.id
            else:
                with pytest.raises(RecallAppExistsError) as stopped:
                    with_fault(host_emulator, LOST_ANSWER, lambda: provider.create(news))
                scanner.see("in-process stopped create", f"{stopped.value!s} {stopped.value!r}")
                (made,) = app_ids(host_emulator)
            assert app_ids(host_emulator) == [made]
            command().delete(made, news)
            assert app_ids(host_emulator) == []
            scanner.see("pickled configured provider", serialize_provider(provider))
            scanner.see(
                "pickled configured provider (decoded)",
                base64.b64decode(serialize_provider(provider)).decode("latin-1"),
            )
        loggers = {r.name for r in caplog.records}
        assert "recall_provider.client" in loggers, "the client logs each request at DEBUG"
        assert "urllib3.util.retry" in loggers, f"the retry was logged: {loggers}"
        scanner.see("log lines", "\n".join(r.getMessage() for r in caplog.records))
        scanner.see("log text", caplog.text)

        assert len(scanner.seen) > 20
        assert scanner.leaks() == []
    finally:
        host.close()


def _not_secret(outputs: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (outputs or {}).items() if k not in SECRET_OUTPUTS}


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}
