"""The hand register with 2023 and 2024 (and 2024's months) computed, and a quality run:
built once per module (tests/shared.py), each test on its own copy of the data directory."""

from __future__ import annotations

from pathlib import Path

from renkou.analytics.cache import indicators_refresh
from renkou.analytics.periods import parse
from renkou.quality.bulk import quality_run
from tests.analytics.hand_register import hand_register
from tests.shared import shared_register

MONTHS = [f"2024{m:02d}" for m in range(1, 13)]


def build(base: Path) -> None:
    """The register, its quality findings and its figures."""
    hand_register(base / "load")
    quality_run(actor="test")
    indicators_refresh(periods=[parse(p) for p in ["2023", "2024", *MONTHS]])


register_built, register = shared_register(build)
