"""Printing problems and results on the command line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from renkou.core.problems import Problem


def print_problems(out: TextIO, problems: Sequence[Problem], limit: int = 20) -> None:
    """Print the first ``limit`` problems, one a line, then how many more there are."""
    for p in problems[:limit]:
        out.write(f"  [{p.severity}] {p}\n")
    if len(problems) > limit:
        out.write(f"  … {len(problems) - limit} more\n")
