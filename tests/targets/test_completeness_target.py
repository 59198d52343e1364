"""A target on the completeness of registration against a department's roster: the figure,
its Wilson interval and the points of each township, against the completeness the roster
gives (worked out here: three of the five deaths a township's hospital roster lists are in
the register) and the linear rule's arithmetic."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest

from renkou.analytics.periods import parse
from renkou.registry.models import Person
from renkou.targets.selectors import scorecard
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, id_number, user_with_role
from tests.exchange.test_completeness import ELDERS, _death, _roster, elders  # noqa: F401
from tests.targets.build import agreement, spec

pytestmark = pytest.mark.django_db
D = datetime.date
Z = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    """The textbook Wilson score interval, in per cent."""
    p = k / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return 100 * (centre - spread) / (1 + Z * Z / n), 100 * (centre + spread) / (1 + Z * Z / n)


def test_a_townships_death_registration_completeness_is_scored(
    elders: list[Person],  # noqa: F811
    tmp_path: Path,
) -> None:
    _death(elders[0], D(2025, 1, 10), D(2025, 1, 15))
    _death(elders[1], D(2025, 6, 1), D(2025, 8, 30))
    _death(elders[2], D(2025, 12, 20), D(2026, 2, 1))
    _roster(
        tmp_path,
        "hospital_deaths",
        [
            "姓名,身份证号,死亡日期",
            f"老0,{ELDERS[0]},2025-01-10",
            f"老1,{ELDERS[1]},2025-06-01",
            f"老2,{ELDERS[2]},2025-12-20",
            f"老4,{ELDERS[4]},2025-04-04",  # alive in the register: not registered
            f"陌生人,{id_number('1948-08-08', 81)},2025-10-10",  # not in the register
        ],
        received_by=TOWNSHIP_A,
    )
    admin = user_with_role("admin", "county_admin", COUNTY)
    deal = agreement(
        admin,
        COUNTY,
        targets=[spec("completeness_deaths_hospital", 90, "higher", 100, floor=50)],
    )
    card = scorecard(deal, parse("2025"))
    rows = {r.unit.code: r for r in card.rows}
    a = rows[TOWNSHIP_A].score.targets[0]
    # 3 of 5 listed deaths registered: 60 %; linear 100 × (60 − 50) ÷ (90 − 50) = 25; the
    # interval (23.1–88.2) does not hold 90, so it is not "not distinguishable"
    assert a.value == pytest.approx(60.0)
    assert (a.measure.low, a.measure.high) == pytest.approx(wilson(3, 5))
    assert a.points == pytest.approx(100 * (60 - 50) / (90 - 50))
    assert a.status == "partial"
    assert rows[TOWNSHIP_A].score.total == pytest.approx(25.0)
    # township B received no roster and none covers it: no figure, not scored
    assert rows[TOWNSHIP_B].score.targets[0].status == "no_data"
    assert rows[TOWNSHIP_B].score.total is None
    # a month in which the roster lists no death (July): nothing to compare, no figure
    july = {r.unit.code: r for r in scorecard(deal, parse("202507")).rows}
    assert july[TOWNSHIP_A].score.targets[0].status == "no_data"
