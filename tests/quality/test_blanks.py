"""Blank text (spaces, the full-width space, tabs, line breaks) is blank in both modes.

Found by the Hypothesis test in CI: Python's ``strip()`` and DuckDB's ``trim()`` strip
different characters, so a tab-only field was "filled" in one mode and not in the other.
"""

from __future__ import annotations

import datetime

import pytest

from renkou.core import regions
from renkou.quality.engine import evaluate, evaluate_row
from renkou.quality.features_py import feature_row
from tests.quality.test_bad_input import _register


@pytest.mark.parametrize("blank", [" ", "\u3000", "\t", "\r\n", " \u3000 "])
def test_blank_text_is_blank_in_both_modes(blank: str) -> None:
    fields = ("id_hash", "id_number", "id_number_masked", "hukou_region", "residence_region")
    rows = [
        {
            **dict.fromkeys(fields, ""),
            "name": "张三",
            "sex": "M",
            "birth_date": datetime.date(1980, 1, 1),
            "ethnicity": blank,
            "hukou_orgunit": None,
            "hukou_type": "rural",
            "residence_orgunit": None,
            "marital_status": "single",
            "mother": None,
            "father": None,
            "birth_order": None,
            "status": "alive",
            "death_date": None,
            "household": None,
            "relation_to_head": "",
        }
    ]
    near = _register(rows, [])
    as_of = datetime.date(2025, 1, 1)
    row = feature_row(1, near.persons, near.events, near.units, regions.known_codes(), as_of)
    single = {h.rule for h in evaluate_row(row)}
    bulk = {h.rule for h in evaluate(near.tables(), as_of)}
    assert "Q-REQ-ETHNICITY" in single and single == bulk
