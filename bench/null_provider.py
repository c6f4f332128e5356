"""A dynamic provider that does nothing: the cold-start benchmark's baseline.

Its module imports only what the host has already imported, so unpickling it costs the host
nothing but the unpickling itself.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider


class NullProvider(ResourceProvider):
    """Accepts any inputs (the base class's Check); creates nothing real."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Answer a fixed id; the benchmark never calls it."""
        return CreateResult("null", {})
