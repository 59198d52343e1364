"""The probabilistic pass: Fellegi–Sunter with Splink on DuckDB, trained by EM, no labels.

Comparisons suited to Chinese names: the full name in characters, then in toneless
pinyin (homophone typos 张/章 agree there), then by initials; surname separately with a
term-frequency adjustment (a shared 王 says less than a shared 欧阳); given name; birth date
exact, with day and month swapped, or within a month; sex; village.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import SplinkException

COLUMNS = (
    "unique_id",
    "name",
    "surname",
    "given",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "birth_swapped",
    "village",
)
COMPARISONS = ("name", "surname", "given", "birth_date", "sex", "village")
# The levels of each comparison, best first, as codes the worklist puts into words.
# Splink numbers them the other way round (the last level is 0; -1 is "missing").
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("same", "same_pinyin", "similar_pinyin", "same_initials", "different"),
    "surname": ("same", "different"),
    "given": ("same", "similar", "different"),
    "birth_date": ("same", "day_month_swapped", "within_a_month", "different"),
    "sex": ("same", "different"),
    "village": ("same", "different"),
}


def level_code(comparison: str, gamma: int) -> str:
    """The code of Splink's comparison level ``gamma`` of ``comparison`` ("missing" for -1)."""
    levels = LEVELS[comparison]
    if gamma < 0 or gamma >= len(levels):
        return "missing"
    return levels[len(levels) - 1 - gamma]


def _name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name"),
            cll.ExactMatchLevel("name_pinyin"),
            cll.JaroWinklerLevel("name_pinyin", 0.9),
            cll.ExactMatchLevel("name_initials"),
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
            cll.CustomLevel(
                "abs(date_diff('day', try_cast(\"birth_date_l\" AS DATE), "
                'try_cast("birth_date_r" AS DATE))) <= 31',
                label_for_charts="within a month",
            ),
            cll.ElseLevel(),
        ],
    )


def settings(register_size: int) -> SettingsCreator:
    """The Splink model of a roster row against the register (link only).

    The prior is one register person per roster row: 1 / register size.
    """
    return SettingsCreator(
        link_type="link_only",
        probability_two_random_records_match=1 / max(register_size, 2),
        comparisons=[
            _name(),
            cl.ExactMatch("surname").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("given", [0.9]),
            _birth_date(),
            cl.ExactMatch("sex"),
            cl.ExactMatch("village"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            block_on("name_pinyin"),
            block_on("name_initials", "sex", "village"),
        ],
        retain_intermediate_calculation_columns=True,
    )


@dataclass
class Match:
    """The best register candidate of a roster row, with probability and per-field weights."""

    roster_id: int
    person_id: int
    probability: float
    weights: dict[str, float]
    levels: dict[str, str]


def _table(records: list[dict[str, Any]]) -> pa.Table:
    return pa.table({c: [r.get(c) for r in records] for c in COLUMNS})


def link(
    roster: list[dict[str, Any]], register: list[dict[str, Any]], *, min_probability: float = 0.01
) -> tuple[list[Match], dict[str, Any]]:
    """Best match per roster record and the trained model (Splink settings as a dict)."""
    if not roster or not register:
        return [], {}
    con = duckdb.connect()
    db = DuckDBAPI(connection=con)
    left = db.register(_table(roster), table_name="roster")
    right = db.register(_table(register), table_name="register")
    linker = Linker([left, right], settings(len(register)), log_level=40)
    trained = []
    # Each step needs pairs to learn from; a tiny roster may have none for one of them,
    # in which case the comparisons keep Splink's starting m-probabilities for that step.
    steps = [
        ("u", lambda: linker.training.estimate_u_using_random_sampling(max_pairs=2e5, seed=1)),
        (
            "em_birth_date",
            lambda: linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("birth_date")
            ),
        ),
        (
            "em_name_pinyin",
            lambda: linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("name_pinyin")
            ),
        ),
    ]
    for label, step in steps:
        try:
            step()
            trained.append(label)
        except (SplinkException, ZeroDivisionError, ValueError):
            continue
    predictions = linker.inference.predict(threshold_match_probability=min_probability)
    frame = predictions.as_pandas_dataframe()
    model = linker.misc.save_model_to_json()
    model["trained"] = trained
    best: dict[int, Match] = {}
    for row in frame.to_dict("records"):
        roster_id, person_id = int(row["unique_id_l"]), int(row["unique_id_r"])
        if row["source_dataset_l"] != "roster":
            roster_id, person_id = person_id, roster_id
        p = float(row["match_probability"])
        if roster_id not in best or p > best[roster_id].probability:
            weights = {c: round(float(row.get(f"mw_{c}") or 0.0), 2) for c in COMPARISONS}
            # The surname's frequency adjustment belongs to the surname's weight.
            weights["surname"] = round(
                weights["surname"] + float(row.get("mw_tf_adj_surname") or 0.0), 2
            )
            levels = {c: level_code(c, int(row.get(f"gamma_{c}", -1))) for c in COMPARISONS}
            best[roster_id] = Match(roster_id, person_id, p, weights, levels)
    con.close()
    return list(best.values()), model
