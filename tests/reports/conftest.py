"""The hand register with 2023 and 2024 (and 2024's months) computed, and a quality run."""

from __future__ import annotations

from typing import Any

import pytest

from renkou.analytics.cache import indicators_refresh
from renkou.analytics.periods import parse
from renkou.quality.bulk import quality_run
from tests.analytics.hand_register import hand_register

MONTHS = [f"2024{m:02d}" for m in range(1, 13)]


@pytest.fixture
def register(tmp_path: Any, settings: Any) -> None:
    settings.DATA_DIR = tmp_path / "data"
    hand_register(tmp_path / "load")
    quality_run(actor="test")
    indicators_refresh(periods=[parse(p) for p in ["2023", "2024", *MONTHS]])
