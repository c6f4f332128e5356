"""What the provider knows of the dynamic host: the engine's address among its arguments, our
errors as one line. In the host itself, tests/test_provider_host.py sees the one line and
tests/test_cli_e2e.py (an up killed while it creates) the engine gone."""

from __future__ import annotations

import traceback

import pytest

from recall_provider import dynamic_host
from recall_provider.errors import ErrorCode, RecallConfigError


@pytest.mark.parametrize(
    ("argv", "address"),
    [
        (["/x/pulumi/dynamic/__main__.py", "127.0.0.1:40123"], ("127.0.0.1", 40123)),
        (["main", "localhost:1"], ("localhost", 1)),
        (["main", "[::1]:5000"], ("::1", 5000)),
        (["main"], None),
        (["main", "http://127.0.0.1:9"], None),
        (["main", "127.0.0.1:40123", "--logtostderr"], None),
        (["main", "127.0.0.1:port"], None),
    ],
)
def test_the_engine_address_is_a_host_port_last_argument(
    argv: list[str], address: tuple[str, int] | None
) -> None:
    assert dynamic_host.engine_address(argv) == address


def test_outside_the_host_nothing_is_patched_and_the_engine_counts_as_alive() -> None:
    assert not dynamic_host.running_in_host()
    before = traceback.format_exc
    dynamic_host.install_one_line_errors()
    assert traceback.format_exc is before
    assert dynamic_host.engine_alive()


def test_an_error_is_one_line_with_its_class_and_code() -> None:
    error = RecallConfigError("recall:region is\nnot a region", hint="Use  us-east-1.")
    assert dynamic_host.one_line(error) == (
        "RecallConfigError[config]: recall:region is not a region. Use us-east-1."
    )
    error = RecallConfigError("no key", code=ErrorCode.API_KEY_MISSING)
    assert dynamic_host.one_line(error) == "RecallConfigError[api_key_missing]: no key"


def test_recalls_words_in_an_error_cannot_act_on_the_terminal() -> None:
    error = RecallConfigError("Recall said \x1b]0;owned\x07\x1b[2J\x1b[32mok\u202egnp.exe")
    shown = dynamic_host.one_line(error)
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert "\\x1b]0;owned\\x07" in shown
