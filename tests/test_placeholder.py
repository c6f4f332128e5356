"""The dev stack's stand-in credentials: random once, then kept (the real CLI's `make up` twice
proves they stay put; tests/test_dev_stack_cli.py)."""

from __future__ import annotations

import base64

from pulumi.dynamic.dynamic import serialize_provider

from recall_provider.placeholder import ALPHABET, PlaceholderProvider


def test_a_placeholder_is_random_alphanumeric_of_its_length() -> None:
    made = [PlaceholderProvider().create({"length": 32}) for _ in range(3)]
    outs = [m.outs or {} for m in made]
    values = [o["result"] for o in outs]
    assert all(len(v) == 32 and set(v) <= set(ALPHABET) for v in values)
    assert len(set(values)) == 3
    assert len({m.id for m in made}) == 3
    assert all(o["length"] == 32 for o in outs)


def test_the_provider_is_pickled_by_reference() -> None:
    # What the SDK stores in state: a reference to the library's class, not its code.
    pickled = base64.b64decode(serialize_provider(PlaceholderProvider()))
    assert b"recall_provider.placeholder" in pickled
    assert b"secrets" not in pickled, "the class's code is not in the pickle"
    assert len(pickled) < 200
