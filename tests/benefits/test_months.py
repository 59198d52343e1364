"""The childcare month rule of DOMAIN.md §7 and the month arithmetic."""

import datetime

from renkou.benefits.months import add_months, childcare_months

D = datetime.date
START = D(2025, 1, 1)


def test_born_2025_06_15_gets_36_months_from_june_2025_to_may_2028():
    months = childcare_months(D(2025, 6, 15), first=START, max_age=3)
    assert len(months) == 36
    assert months[0] == D(2025, 6, 1) and months[-1] == D(2028, 5, 1)


def test_born_2022_03_10_gets_january_and_february_2025():
    assert childcare_months(D(2022, 3, 10), first=START, max_age=3) == [
        D(2025, 1, 1),
        D(2025, 2, 1),
    ]


def test_twins_either_side_of_new_year_2025():
    before = childcare_months(D(2024, 12, 31), first=START, max_age=3)
    after = childcare_months(D(2025, 1, 1), first=START, max_age=3)
    assert (len(before), before[0], before[-1]) == (35, D(2025, 1, 1), D(2027, 11, 1))
    assert (len(after), after[0], after[-1]) == (36, D(2025, 1, 1), D(2027, 12, 1))


def test_child_three_before_2025_gets_nothing():
    assert childcare_months(D(2021, 12, 31), first=START, max_age=3) == []


def test_add_months_crosses_years():
    assert add_months(D(2024, 11, 1), 3) == D(2025, 2, 1)
    assert add_months(D(2024, 1, 1), -1) == D(2023, 12, 1)
