"""Period identifiers: parsing, formatting, bounds, containment and ranges."""

import datetime
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.analytics import periods
from renkou.analytics.periods import PeriodError, parse

D = datetime.date


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("202403", D(2024, 3, 1), D(2024, 3, 31), "month"),
        ("202402", D(2024, 2, 1), D(2024, 2, 29), "month"),
        ("2024Q1", D(2024, 1, 1), D(2024, 3, 31), "quarter"),
        ("2024Q4", D(2024, 10, 1), D(2024, 12, 31), "quarter"),
        ("2024", D(2024, 1, 1), D(2024, 12, 31), "year"),
        ("2023Oct", D(2023, 10, 1), D(2024, 9, 30), "stat_year"),
        ("2023OctS1", D(2023, 10, 1), D(2024, 3, 31), "stat_half"),
        ("2023OctS2", D(2024, 4, 1), D(2024, 9, 30), "stat_half"),
    ],
)
def test_parse_bounds_and_round_trip(text, start, end, kind):
    period = parse(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert period.id == text
    assert period.days == (end - start).days + 1
    assert period.end_boundary == end + datetime.timedelta(days=1)


@pytest.mark.parametrize("text", ["", "2024Q5", "202413", "202400", "24", "2024oct", "2023OctH1"])
def test_bad_identifiers_are_refused(text):
    with pytest.raises(PeriodError):
        parse(text)


def test_statistical_year_contains_its_first_and_last_day_only():
    year = parse("2023Oct")
    assert year.contains(D(2023, 10, 1))
    assert year.contains(D(2024, 9, 30))
    assert not year.contains(D(2023, 9, 30))
    assert not year.contains(D(2024, 10, 1))


@given(st.dates(D(1950, 1, 1), D(2100, 12, 31)), st.sampled_from(periods.KINDS))
def test_containing_contains_and_round_trips(day, kind):
    period = periods.containing(day, kind)
    assert period.contains(day)
    assert parse(period.id) == period


def test_periods_between_lists_every_period_of_a_range_in_order():
    found = list(periods.periods_between(D(2023, 11, 15), D(2024, 4, 2), ["stat_half", "quarter"]))
    assert [p.id for p in found] == [
        "2023OctS1",
        "2023OctS2",
        "2023Q4",
        "2024Q1",
        "2024Q2",
    ]
    months = list(periods.periods_between(D(2020, 1, 1), D(2024, 12, 31), ["month"]))
    assert len(months) == 60
    within = [p.id for p in periods.periods_within(D(2023, 1, 1), D(2024, 12, 31), ["stat_year"])]
    assert within == ["2023Oct"]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("202403D1", D(2024, 3, 1), D(2024, 3, 10)),
        ("202403D2", D(2024, 3, 11), D(2024, 3, 20)),
        ("202403D3", D(2024, 3, 21), D(2024, 3, 31)),
        ("202402D3", D(2024, 2, 21), D(2024, 2, 29)),
        ("202302D3", D(2023, 2, 21), D(2023, 2, 28)),
    ],
)
def test_ten_day_periods(text, start, end):
    period = parse(text)
    assert (period.start, period.end, period.kind) == (start, end, "dekad")
    assert period.id == text
    assert periods.containing(end, "dekad") == period
    assert period.end_boundary == end + datetime.timedelta(days=1)


def test_a_year_has_36_ten_day_periods_covering_it_day_by_day():
    dekads = periods.dekads_of(parse("2024"))
    assert len(dekads) == 36
    assert sum(p.days for p in dekads) == 366
    assert all(a.end_boundary == b.start for a, b in itertools.pairwise(dekads))
