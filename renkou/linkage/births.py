"""The probabilistic pass for births without the mother's identity number.

A hospital's birth row is compared with the register's children born that day (or with
day and month swapped): the mother's name in characters, in toneless pinyin, by similar
pinyin and by initials; her surname with a term-frequency adjustment; the child's name
when the hospital gives one; the child's birth date; sex. Fellegi–Sunter with Splink as
in ``probabilistic``: u from random pairs, m by EM (no labels).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

from renkou.linkage.features import split_name
from renkou.linkage.probabilistic import Spec

COLUMNS = (
    "unique_id",
    "mother_name",
    "mother_surname",
    "mother_pinyin",
    "mother_initials",
    "name",
    "name_pinyin",
    "sex",
    "birth_date",
    "birth_swapped",
)
LEVELS: dict[str, tuple[str, ...]] = {
    "mother_name": ("same", "same_pinyin", "similar_pinyin", "same_initials", "different"),
    "mother_surname": ("same", "different"),
    "name": ("same", "same_pinyin", "different"),
    "birth_date": ("same", "day_month_swapped", "different"),
    "sex": ("same", "different"),
}


def birth_features(
    record: dict[str, Any], pinyin: Callable[[str], tuple[str, str]]
) -> dict[str, Any]:
    """The columns of a birth (roster row, or register child with its mother's name)."""
    mother = record.get("mother_name") or ""
    name = record.get("name") or ""
    mother_keys = pinyin(mother) if mother else ("", "")
    birth = record.get("birth_date") or ""
    return {
        "unique_id": record["unique_id"],
        "mother_name": mother or None,
        "mother_surname": split_name(mother)[0] if mother else None,
        "mother_pinyin": mother_keys[0] or None,
        "mother_initials": mother_keys[1] or None,
        "name": name or None,
        "name_pinyin": (pinyin(name)[0] if name else "") or None,
        "sex": record.get("sex") or None,
        "birth_date": birth[:10] or None,
        "birth_swapped": f"{birth[:4]}-{birth[8:10]}-{birth[5:7]}" if len(birth) >= 10 else None,
    }


def _mother_name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="mother_name",
        comparison_levels=[
            cll.NullLevel("mother_name"),
            cll.ExactMatchLevel("mother_name"),
            cll.ExactMatchLevel("mother_pinyin"),
            cll.JaroWinklerLevel("mother_pinyin", 0.9),
            cll.ExactMatchLevel("mother_initials"),
            cll.ElseLevel(),
        ],
    )


def _child_name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name"),
            cll.ExactMatchLevel("name_pinyin"),
            cll.ElseLevel(),
        ],
    )


def _birth_date() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(
                '"birth_date_l" = "birth_swapped_r"', label_for_charts="day and month swapped"
            ),
            cll.ElseLevel(),
        ],
    )


def settings(register_size: int) -> SettingsCreator:
    """The Splink model of a hospital birth against the register's children.

    Only children born that day, or with day and month swapped, are candidates.
    """
    return SettingsCreator(
        link_type="link_only",
        probability_two_random_records_match=1 / max(register_size, 2),
        comparisons=[
            _mother_name(),
            cl.ExactMatch("mother_surname").configure(term_frequency_adjustments=True),
            _child_name(),
            _birth_date(),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            CustomRule("l.birth_date = r.birth_swapped"),
        ],
        retain_intermediate_calculation_columns=True,
    )


BIRTH = Spec(COLUMNS, LEVELS, settings, ("birth_date", "mother_pinyin"), "mother_surname")
