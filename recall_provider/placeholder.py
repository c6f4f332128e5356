"""Stand-in Zoom credentials for stacks against the emulator: random once, then kept in state.

A dynamic resource rather than ``pulumi_random``, so that a stack needs no plugin beyond the
Python dynamic host it already runs (nothing downloaded, offline CI included).
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

__all__ = ["Placeholder", "PlaceholderProvider"]

ALPHABET = string.ascii_letters + string.digits


class PlaceholderProvider(ResourceProvider):
    """Draws the value at create; inputs unchanged mean no change, and nothing is called."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        length = int(props["length"])
        value = "".join(secrets.choice(ALPHABET) for _ in range(length))
        return CreateResult(id_=secrets.token_hex(8), outs={"length": length, "result": value})


class Placeholder(Resource, module="recall", name="Placeholder"):
    """A random alphanumeric string of ``length``, made once and kept in state."""

    result: pulumi.Output[str]
    """The value (a secret output unless made with ``secret=False``)."""

    def __init__(
        self,
        resource_name: str,
        length: int,
        secret: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        hidden = pulumi.ResourceOptions(additional_secret_outputs=["result"] if secret else [])
        super().__init__(
            PlaceholderProvider(),
            resource_name,
            {"length": length, "result": None},
            pulumi.ResourceOptions.merge(hidden, opts),
        )
