"""Printing problems and results on the command line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from renkou.core.problems import Problem


def print_problems(out: TextIO, problems: Sequence[Problem], limit: int = 20) -> None:
    """Print the first ``limit`` problems, one a line, then how many more there are."""
    for p in problems[:limit]:
        out.write(f"  [{p.severity}] {p}\n")
    if len(problems) > limit:
        out.write(f"  … {len(problems) - limit} more\n")


def progress_printer(out: TextIO, every: float = 0.1) -> Callable[[float, str], None]:
    """A ``progress(fraction, step)`` callback printing ``… 40 % step`` each ``every``."""
    shown = [-1.0]

    def progress(fraction: float, step: str) -> None:
        if fraction - shown[0] >= every or fraction >= 1.0 > shown[0]:
            shown[0] = fraction
            out.write(f"… {fraction:.0%} {step}\n")
            out.flush()

    return progress
