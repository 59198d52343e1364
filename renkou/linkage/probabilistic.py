"""The probabilistic pass: Fellegi–Sunter with Splink on DuckDB, trained by EM, no labels.

One name comparison with levels suited to Chinese names: the same characters (with a
term-frequency adjustment: a shared 王伟 says less than a shared 欧阳修远), the same
toneless pinyin (homophone typos 张/章 agree there), similar pinyin, the same initials.
Fellegi–Sunter assumes the comparisons independent: the name used to be compared three
times more (surname, given name), each counting the same agreement again, so that a
namesake born years apart outweighed the birth date. Birth date: exact, day and month
swapped, one digit of the month or day, within a month, or different; a different birth
date makes a candidate impossible (``Spec.vetoes``) whatever the names: without an
identity number, a person born years apart is someone else. Sex; village.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
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
    "birth_month_only",
    "village",
)
COMPARISONS = ("name", "birth_date", "sex", "village")
# The levels of each comparison, best first, as codes the worklist puts into words.
# Splink numbers them the other way round (the last level is 0; -1 is "missing").
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("same", "same_pinyin", "similar_pinyin", "same_initials", "different"),
    "birth_date": (
        "same_month_day_unknown",
        "same",
        "day_month_swapped",
        "one_digit",
        "within_a_month",
        "different",
    ),
    "sex": ("same", "different"),
    "village": ("same", "different"),
}


def level_code(comparison: str, gamma: int, table: dict[str, tuple[str, ...]] | None = None) -> str:
    """The code of Splink's comparison level ``gamma`` of ``comparison`` ("missing" for -1)."""
    levels = (table or LEVELS)[comparison]
    if gamma < 0 or gamma >= len(levels):
        return "missing"
    return levels[len(levels) - 1 - gamma]


def _name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("name_pinyin"),
            cll.JaroWinklerLevel("name_pinyin", 0.9),
            cll.ExactMatchLevel("name_initials"),
            cll.ElseLevel(),
        ],
    )


# How often a clerk's birth date differs from the register's for the same person: typed
# right, day and month swapped, one digit of the month or day, off by days, other. Set,
# not learned: EM, blocked on the name, sees mostly pairs sharing a popular name
# (浩轩, 梓涵 …) and nothing else, takes them for the match class and learns that a
# different birth date says almost nothing
# (m ≈ 0.97 for "different" on the 1,000,000-person county), so that a namesake born years
# apart was matched. The other comparisons' m-probabilities are still learned by EM.
BIRTH_DATE_M = {
    "same": 0.94,
    "day_month_swapped": 0.02,
    "one_digit": 0.015,
    "within_a_month": 0.015,
    "different": 0.01,
}
# A roster that gives only the year and month (出生年月: ``birth_month_only``, stored as
# the 1st) has its own level, compared on the month alone: the same year and month is
# what a true match shows as often as an exact date is (m as "same"), while a random
# pair shows it about twelve times as often as the same day, so that it weighs less than an
# exact date and much more than "within a month" (which any day of the month met before,
# as a slip of days would). Otherwise a month-only row can be one digit of the month off,
# or different; never swapped or "within a month" (its day is unknown).
MONTH_ONLY_LABEL = "same month, day unknown"
_MONTH_ONLY = '("birth_month_only_l" OR "birth_month_only_r")'
_SAME_MONTH = 'substr("birth_date_l", 1, 7) = substr("birth_date_r", 1, 7)'
_MONTH_DIGIT = (
    'substr("birth_date_l", 1, 4) = substr("birth_date_r", 1, 4) '
    'AND levenshtein(substr("birth_date_l", 1, 7), substr("birth_date_r", 1, 7)) = 1'
)
# A one-digit slip in the year (1973 / 1978) is five years: it is "different", since a
# namesake born years apart is what must never be matched without a number.
_ONE_DIGIT = (
    'substr("birth_date_l", 1, 4) = substr("birth_date_r", 1, 4) '
    'AND levenshtein("birth_date_l", "birth_date_r") = 1'
)


def _birth_date() -> cl.CustomComparison:
    m = BIRTH_DATE_M
    same, swapped, digit, near, other = (
        m["same"],
        m["day_month_swapped"],
        m["one_digit"],
        m["within_a_month"],
        m["different"],
    )
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.CustomLevel(
                f"{_MONTH_ONLY} AND {_SAME_MONTH}", label_for_charts=MONTH_ONLY_LABEL
            ).configure(m_probability=same, fix_m_probability=True),
            cll.CustomLevel(
                f'NOT {_MONTH_ONLY} AND "birth_date_l" = "birth_date_r"', label_for_charts="same"
            ).configure(m_probability=same, fix_m_probability=True),
            cll.CustomLevel(
                '"birth_date_l" = "birth_swapped_r"', label_for_charts="day and month swapped"
            ).configure(m_probability=swapped, fix_m_probability=True),
            cll.CustomLevel(
                f"CASE WHEN {_MONTH_ONLY} THEN {_MONTH_DIGIT} ELSE {_ONE_DIGIT} END",
                label_for_charts="one digit of month or day",
            ).configure(m_probability=digit, fix_m_probability=True),
            cll.CustomLevel(
                f"NOT {_MONTH_ONLY} AND abs(date_diff('day', try_cast(\"birth_date_l\" AS DATE), "
                'try_cast("birth_date_r" AS DATE))) <= 31',
                label_for_charts="within a month",
            ).configure(m_probability=near, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=other, fix_m_probability=True),
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


@dataclass(frozen=True)
class Spec:
    """What one probabilistic pass compares: its columns, Splink settings, EM blocking and
    the level codes of each comparison (best first)."""

    columns: tuple[str, ...]
    levels: dict[str, tuple[str, ...]]
    settings: Callable[[int], SettingsCreator]
    em_blocks: tuple[str, ...]
    tf_column: str
    # (comparison, level) that make a candidate impossible, whatever the other fields say.
    vetoes: tuple[tuple[str, str], ...] = ()


PERSON = Spec(
    COLUMNS,
    LEVELS,
    settings,
    ("birth_date", "name_pinyin"),
    "name",
    vetoes=(("birth_date", "different"),),
)


def fits(model: dict[str, Any], spec: Spec) -> bool:
    """Whether a kept ``model`` has the comparisons and levels of ``spec`` (a model kept
    before the comparisons changed is trained again, not reused)."""
    found = {}
    for comparison in model.get("comparisons") or []:
        levels = [
            lv for lv in comparison.get("comparison_levels", []) if not lv.get("is_null_level")
        ]
        found[comparison.get("output_column_name")] = len(levels)
    return found == {name: len(levels) for name, levels in spec.levels.items()}


@dataclass
class Match:
    """The best register candidate of a roster row, with probability and per-field weights.

    ``rivals`` are the other candidates of the row, best first, as (person id,
    probability, match weight, levels): twins born the same day are each other's rivals.
    """

    roster_id: int
    person_id: int
    probability: float
    weights: dict[str, float]
    levels: dict[str, str]
    match_weight: float = 0.0
    rivals: list[tuple[int, float, float, dict[str, str]]] = field(default_factory=list)


def _table(records: list[dict[str, Any]], columns: tuple[str, ...]) -> pa.Table:
    return pa.table({c: [r.get(c) for r in records] for c in columns})


def _train(linker: Linker, spec: Spec, make: Callable[[Any], Linker]) -> tuple[Linker, list[str]]:
    """u by random sampling, m by EM blocked on each of ``spec.em_blocks``; the linker
    trained and the steps done.

    Each step needs pairs to learn from; a tiny roster may have none for one of them, in
    which case the comparisons keep their m-probabilities from before that step. A failed
    EM step can leave Splink's settings without the comparison it was blocked on (the
    birth date vanished from the model, and namesakes born years apart were matched): the
    linker is then made again (``make``) from the model saved before the step.
    """
    trained = []
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=2e5, seed=1)
        trained.append("u")
    except (SplinkException, ZeroDivisionError, ValueError):
        linker = make(linker.misc.save_model_to_json())
    for column in spec.em_blocks:
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(column))
            trained.append(f"em_{column}")
        except (SplinkException, ZeroDivisionError, ValueError):
            linker = make(before)
    return linker, trained


def _month_only_u(roster: list[dict[str, Any]], register: list[dict[str, Any]]) -> float | None:
    """How often a register person shares the year and month of a month-only roster row
    (the u-probability of "same month, day unknown", given a month-only row), or None if
    no row is month-only.

    Random sampling over all pairs would dilute it by the share of month-only rows (the
    level never fires on the others) and overstate the level's weight by as much; this is
    the conditional figure the fixed m is set against.
    """
    months = [
        r["birth_date"][:7] for r in roster if r.get("birth_month_only") and r.get("birth_date")
    ]
    if not months:
        return None
    counts: dict[str, int] = {}
    for person in register:
        born = person.get("birth_date")
        if born:
            counts[born[:7]] = counts.get(born[:7], 0) + 1
    share = sum(counts.get(m, 0) for m in months) / (len(months) * max(len(register), 1))
    return max(share, 1e-6)


def _with_month_only_u(model: dict[str, Any], u: float | None) -> dict[str, Any]:
    """``model`` with the month-only level's u set to ``u`` (unchanged if None)."""
    if u is None:
        return model
    for comparison in model.get("comparisons") or []:
        for level in comparison.get("comparison_levels", []):
            if level.get("label_for_charts") == MONTH_ONLY_LABEL:
                level["u_probability"] = u
                level["fix_u_probability"] = True
    return model


def fully_trained(model: dict[str, Any], spec: Spec = PERSON) -> bool:
    """Whether ``model`` went through every training step of ``spec`` (fit to be reused)."""
    return model.get("trained") == ["u", *(f"em_{c}" for c in spec.em_blocks)]


def link(
    roster: list[dict[str, Any]],
    register: list[dict[str, Any]],
    *,
    min_probability: float = 0.01,
    spec: Spec = PERSON,
    model: dict[str, Any] | None = None,
    in_register: float = 0.5,
) -> tuple[list[Match], dict[str, Any]]:
    """Best match per roster record and the model used (Splink settings as a dict).

    Splink scores each pair alone, with odds o against the prior that one register person
    in N is the row's person: for a candidate found with nobody else, that is the row's
    probability only if a roster row's person is in the register half the time. With π
    (``in_register``), the share of roster rows whose person is in the register, a
    candidate's probability is π·o / (π·o + 1 − π): with π = 0.5 Splink's own figure; a
    larger π, measured by the caller on the rows with an identity number, says that a row's
    person is usually there, so that a candidate agreeing on name, sex and birth month is
    believed more. Rivals (twins, namesakes born the same month) are still each scored so,
    and left to a person by the caller's rule on rivals.

    With ``model`` (a model this function returned before) nothing is trained: its m- and
    u-probabilities are used as they are, with the prior set for this register's size.
    """
    if not roster or not register:
        return [], {}
    con = duckdb.connect()
    db = DuckDBAPI(connection=con)
    left = db.register(_table(roster, spec.columns), table_name="roster")
    right = db.register(_table(register, spec.columns), table_name="register")
    if model and not fits(model, spec):
        model = None
    month_only_u = _month_only_u(roster, register) if "birth_month_only" in spec.columns else None
    if model:
        saved = {k: v for k, v in model.items() if k not in ("trained", "reused")}
        saved["probability_two_random_records_match"] = 1 / max(len(register), 2)
        linker = Linker([left, right], _with_month_only_u(saved, month_only_u), log_level=40)
        trained = list(model.get("trained", []))
    else:
        linker = Linker([left, right], spec.settings(len(register)), log_level=40)
        linker, trained = _train(
            linker, spec, lambda saved: Linker([left, right], saved, log_level=40)
        )
        if month_only_u is not None:
            saved = _with_month_only_u(linker.misc.save_model_to_json(), month_only_u)
            linker = Linker([left, right], saved, log_level=40)
    predictions = linker.inference.predict(threshold_match_probability=min_probability)
    frame = predictions.as_pandas_dataframe()
    used = linker.misc.save_model_to_json()
    used["trained"] = trained
    if model:
        used["reused"] = True
    comparisons = tuple(spec.levels)
    candidates: dict[int, list[Match]] = {}
    for row in frame.to_dict("records"):
        roster_id, person_id = int(row["unique_id_l"]), int(row["unique_id_r"])
        if row["source_dataset_l"] != "roster":
            roster_id, person_id = person_id, roster_id
        weights = {c: round(float(row.get(f"mw_{c}") or 0.0), 2) for c in comparisons}
        # The frequency adjustment belongs to its comparison's weight.
        tf = spec.tf_column
        weights[tf] = round(weights[tf] + float(row.get(f"mw_tf_adj_{tf}") or 0.0), 2)
        levels = {
            c: level_code(c, int(row.get(f"gamma_{c}", -1)), spec.levels) for c in comparisons
        }
        if any(levels.get(c) == level for c, level in spec.vetoes):
            continue
        candidates.setdefault(roster_id, []).append(
            Match(
                roster_id,
                person_id,
                float(row["match_probability"]),
                weights,
                levels,
                float(row["match_weight"]),
            )
        )
    con.close()
    best = []
    pi = min(max(in_register, 0.01), 0.99)
    for found in candidates.values():
        for m in found:
            # odds π/(1−π)·o, from the match weight (log2 of Splink's odds o)
            weight = m.match_weight + math.log2(pi / (1 - pi))
            m.probability = 1 / (1 + 2.0 ** (-weight)) if weight > -60 else 0.0
        found.sort(key=lambda m: m.match_weight, reverse=True)
        top = found[0]
        top.rivals = [(m.person_id, m.probability, m.match_weight, m.levels) for m in found[1:]]
        best.append(top)
    return best, used
