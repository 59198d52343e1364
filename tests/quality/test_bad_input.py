"""Bad input: every rule, in both modes, takes random and extreme records without failing.

Hypothesis builds small registers of odd persons (missing fields, years 1700-2200, empty or
blank names, unknown codes, impossible links) and events; the Python single-record mode and
the DuckDB bulk query must both return findings or nothing, never raise, and agree.
"""

from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkou.core import regions
from renkou.quality.engine import completeness_sql, connection, evaluate, evaluate_row
from renkou.quality.features import FEATURES_SQL
from renkou.quality.features_py import feature_row
from renkou.quality.rules import RULES
from renkou.quality.sources import Neighbourhood
from tests.builders import id_number

UNITS = {
    "330122100201": {
        "code": "330122100201",
        "level": 5,
        "valid_from": datetime.date(1949, 10, 1),
        "valid_to": None,
    },
    "330122100299": {
        "code": "330122100299",
        "level": 5,
        "valid_from": datetime.date(1990, 1, 1),
        "valid_to": datetime.date(2019, 12, 31),
    },
    "330122100": {
        "code": "330122100",
        "level": 4,
        "valid_from": datetime.date(1949, 10, 1),
        "valid_to": None,
    },
}
IDS = [1, 2, 3, 4, 5]
dates = st.one_of(
    st.none(),
    st.dates(datetime.date(1700, 1, 1), datetime.date(2200, 12, 31)),
    st.sampled_from([datetime.date(1850, 1, 1), datetime.date(2100, 1, 1)]),
)
texts = st.one_of(st.none(), st.sampled_from(["", " ", "　"]), st.text(max_size=8))
codes = st.one_of(st.none(), st.sampled_from([*UNITS, "330122999999", ""]))


@st.composite
def id_numbers(draw: st.DrawFn) -> str | None:
    kind = draw(st.sampled_from(["none", "valid", "text", "digits"]))
    if kind == "none":
        return None
    if kind == "valid":
        day = draw(st.dates(datetime.date(1850, 1, 1), datetime.date(2100, 12, 31)))
        return id_number(day.isoformat(), draw(st.integers(0, 999)))
    if kind == "digits":
        return draw(st.text(alphabet="0123456789X", min_size=14, max_size=20))
    return draw(st.text(max_size=20))


persons = st.fixed_dictionaries(
    {
        "name": texts,
        "sex": st.one_of(st.none(), st.sampled_from(["M", "F", "", "X"])),
        "birth_date": dates,
        "ethnicity": texts,
        "id_hash": st.one_of(st.none(), st.sampled_from(["", "h1", "h2"])),
        "id_number": id_numbers(),
        "id_number_masked": texts,
        "hukou_orgunit": codes,
        "hukou_region": st.one_of(st.none(), st.sampled_from(["", "410102", "999999", "4101"])),
        "hukou_type": texts,
        "residence_orgunit": codes,
        "residence_region": st.one_of(st.none(), st.sampled_from(["", "410102", "999999"])),
        "marital_status": st.one_of(
            st.none(), st.sampled_from(["single", "married", "divorced", "widowed", "", "?"])
        ),
        "mother": st.one_of(st.none(), st.sampled_from(IDS)),
        "father": st.one_of(st.none(), st.sampled_from(IDS)),
        "birth_order": st.one_of(st.none(), st.integers(-3, 40)),
        "status": st.one_of(st.none(), st.sampled_from(["alive", "dead", "emigrated", ""])),
        "death_date": dates,
        "household": st.one_of(st.none(), st.sampled_from([1, 2])),
        "relation_to_head": st.one_of(st.none(), st.sampled_from(["head", "child", "", "x"])),
    }
)
events = st.fixed_dictionaries(
    {
        "person": st.sampled_from(IDS),
        "kind": st.one_of(
            st.none(),
            st.sampled_from(
                ["birth", "death", "move_in", "marriage", "divorce", "correction", "enrol", "x"]
            ),
        ),
        "effective_date": dates,
        "report_date": dates,
        "orgunit": codes,
    }
)


def _register(rows: list[dict], evs: list[dict]) -> Neighbourhood:
    people = [{"id": i, **row} for i, row in zip(IDS, rows, strict=False)]
    return Neighbourhood(1, people, evs, dict(UNITS))


# 60 examples: each builds a small register and runs both modes (40 s of the suite at 120)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(persons, min_size=1, max_size=5),
    evs=st.lists(events, max_size=6),
    as_of=st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)),
)
def test_both_modes_take_any_record_and_agree(rows, evs, as_of) -> None:
    near = _register(rows, evs)
    row = feature_row(1, near.persons, near.events, near.units, regions.known_codes(), as_of)
    single = evaluate_row(row)
    bulk = evaluate(near.tables(), as_of)
    assert {(h.rule, h.severity) for h in single} == {(h.rule, h.severity) for h in bulk}
    assert all(h.person == 1 for h in single + bulk)
    # The completeness counts of the bulk run take the same records.
    counts = (
        connection()
        .execute(completeness_sql(RULES, f"({FEATURES_SQL})"), {"as_of": as_of})
        .fetchall()
    )
    assert sum(row[1] for row in counts) == 1


@settings(max_examples=200, deadline=None)
@given(row=st.dictionaries(st.sampled_from(sorted({v for r in RULES for v in r.values})), texts))
def test_messages_render_any_values(row) -> None:
    for rule in RULES:
        assert isinstance(rule.message(row, "zh"), str)
        assert isinstance(rule.message(row, "en"), str)


@settings(max_examples=300, deadline=None)
@given(
    row=st.fixed_dictionaries(
        {
            name: st.one_of(st.none(), st.integers(-5, 200), dates, texts, st.booleans())
            for name in sorted(
                {
                    "age",
                    "as_of",
                    "birth_date",
                    "death_date",
                    "status",
                    "sex",
                    "mother_age",
                    "father_age",
                    "earlier_children",
                    "birth_order",
                    "days_since_previous",
                    "id_number",
                    "id_well_formed",
                    "household",
                    "household_heads",
                }
            )
        }
    )
)
def test_rule_conditions_take_values_of_any_type(row) -> None:
    for rule in RULES:
        assert rule.when.ev(row) in (True, False, None)
