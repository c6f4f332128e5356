"""Plain-text tables and the small statistics the benchmarks print."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

_NUMERIC = re.compile(r"^[<>=~+-]*\s*[\d.,]+\s*(x|%|ms|s|B)?$")

NOT_JUDGED = "not judged (quick run)"
"""The verdict where a quick run's smaller command cannot be held to a goal set for a larger one
(a table's note says why)."""
QUICK_NOTE = "quick run: "
"""How a table's note on what a quick run judges begins."""


def median(samples: Sequence[float]) -> float:
    """The median of the samples."""
    return statistics.median(samples)


def p90(samples: Sequence[float]) -> float:
    """The 90th percentile (inclusive method: stays within the observed range)."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=10, method="inclusive")[8]


def verdict(ok: bool) -> str:
    """The verdict column's word for a goal: "missed" is kept for what the project can fix."""
    return "met" if ok else "missed"


@dataclass
class Table:
    """A titled table with aligned columns and optional notes under it."""

    title: str
    headers: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        """Append one row; cells are shown with str()."""
        if len(cells) != len(self.headers):
            raise ValueError(f"{self.title}: {len(cells)} cells for {len(self.headers)} columns")
        self.rows.append([str(cell) for cell in cells])

    def render(self) -> str:
        """The table as text: numbers right-aligned, everything else left-aligned."""
        columns = list(zip(self.headers, *self.rows, strict=True))
        widths = [max(len(cell) for cell in column) for column in columns]
        numeric = [all(_NUMERIC.match(cell) for cell in column[1:]) for column in columns]

        def line(cells: Sequence[str]) -> str:
            parts = [
                cell.rjust(width) if right else cell.ljust(width)
                for cell, width, right in zip(cells, widths, numeric, strict=True)
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * width for width in widths)
        out = [self.title, "=" * len(self.title), line(self.headers), rule]
        out.extend(line(row) for row in self.rows)
        out.extend(f"  {note}" for note in self.notes)
        return "\n".join(out)


def ms(seconds: float) -> str:
    """Seconds as milliseconds with two decimals."""
    return f"{seconds * 1000:.2f}"


def ratio(value: float) -> str:
    """A ratio as ``1.23x``."""
    return f"{value:.2f}x"
