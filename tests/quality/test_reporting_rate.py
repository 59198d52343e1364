"""Monthly reports: the empty report (本月无变动), and the reporting rate against a hand-built
case whose received dates and expected rates are worked out here in plain Python."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.quality import monthly
from renkou.quality.aggregates import aggregate_checks
from renkou.quality.models import EmptyReport
from renkou.registry.models import Event
from renkou.registry.validation import EventRefused
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    client_as,
    user_with_role,
)
from tests.quality.cases import CLOSED_VILLAGE, orgunits, person

pytestmark = pytest.mark.django_db
D = datetime.date
DEADLINE_DAY = 5  # the default of RENKOU_REPORT_DEADLINE_DAY


def _first(day: D) -> D:
    return day.replace(day=1)


def _back(month: D, n: int) -> D:
    for _ in range(n):
        month = _first(month - datetime.timedelta(days=1))
    return month


TODAY = timezone.localdate()
M = _back(_first(TODAY), 2)  # two months ago: its deadline has passed
NEXT = _back(_first(TODAY), 1)
DEADLINE = NEXT.replace(day=DEADLINE_DAY)
PREVIOUS = _back(M, 1)


def _at(day: D) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def _change(p, day: D, reported: D, unit: str, *, source: str = "village", **extra) -> Event:
    return Event.objects.create(
        kind="death",
        status="submitted",
        person=p,
        orgunit_id=unit,
        effective_date=day,
        report_date=reported,
        source=source,
        **extra,
    )


@pytest.fixture
def case():
    """Month M: A1 reported a change on time; A2 said nothing changed, late; B1 nothing.

    Also: an A1 change of the month before reported late (that month is late for A1), a
    hospital's and a loaded event in B1 (not the village's report), a closed village.
    """
    orgunits()
    reporter_a2 = user_with_role("cun-a2", "reporter", VILLAGE_A2)
    p = person("甲", "M", "1950-01-01")
    q = person("乙", "F", "1950-01-01", residence_orgunit_id=VILLAGE_B1)
    _change(p, M.replace(day=10), M.replace(day=12), VILLAGE_A1)
    _change(p, M.replace(day=20), DEADLINE + datetime.timedelta(days=1), VILLAGE_A1)
    _change(p, PREVIOUS.replace(day=20), DEADLINE, VILLAGE_A1)
    _change(q, M.replace(day=3), M.replace(day=4), VILLAGE_B1, source="hospital")
    _change(q, M.replace(day=4), M.replace(day=4), VILLAGE_B1, historic=True)
    empty = monthly.empty_report_file(
        orgunit=OrgUnit.objects.get(code=VILLAGE_A2), month=M, actor=reporter_a2
    )
    EmptyReport.objects.filter(pk=empty.pk).update(
        filed_at=_at(DEADLINE + datetime.timedelta(days=3))
    )
    # by hand: the day each village's report for M was received (None: not received)
    return {
        VILLAGE_A1: M.replace(day=12),
        VILLAGE_A2: DEADLINE + datetime.timedelta(days=3),
        VILLAGE_B1: None,
    }


def _expected(received: dict[str, D | None], prefix: str) -> dict[str, float | int | None]:
    mine = {code: day for code, day in received.items() if code.startswith(prefix)}
    on_time = sum(1 for day in mine.values() if day is not None and day <= DEADLINE)
    late = sum(1 for day in mine.values() if day is not None and day > DEADLINE)
    n = len(mine)
    return {
        "expected": n,
        "on_time": on_time,
        "late": late,
        "missing": n - on_time - late,
        "rate": round(100 * (on_time + late) / n, 2) if n else None,
        "on_time_rate": round(100 * on_time / n, 2) if n else None,
    }


def _got(row) -> dict[str, float | int | None]:
    return {
        "expected": row.expected,
        "on_time": row.on_time,
        "late": row.late,
        "missing": row.missing,
        "rate": row.rate_percent,
        "on_time_rate": row.on_time_percent,
    }


def test_rates_per_unit_and_month_match_the_hand_count(case) -> None:
    assert monthly.deadline(M) == DEADLINE
    rate = monthly.reporting_rate(OrgUnit.objects.get(code=COUNTY), M)
    assert _got(rate.total) == _expected(case, COUNTY)
    assert _got(rate.total) == {
        "expected": 3, "on_time": 1, "late": 1, "missing": 1, "rate": 66.67, "on_time_rate": 33.33
    }  # fmt: skip
    children = {r.unit.code: _got(r) for r in rate.children}
    assert children == {
        TOWNSHIP_A: _expected(case, TOWNSHIP_A),
        TOWNSHIP_B: _expected(case, TOWNSHIP_B),
    }
    assert [v.village.code for v in rate.missing] == [VILLAGE_B1]
    # the closed village is not expected; a village's own page has the village alone
    assert CLOSED_VILLAGE not in {v.village.code for v in rate.villages}
    a2 = monthly.reporting_rate(OrgUnit.objects.get(code=VILLAGE_A2), M)
    assert _got(a2.total) == _expected(case, VILLAGE_A2)
    assert a2.villages[0].empty is not None and a2.villages[0].state == "late"


def test_the_month_before_is_late_for_a1_and_missing_elsewhere(case) -> None:
    rate = monthly.reporting_rate(OrgUnit.objects.get(code=COUNTY), PREVIOUS)
    states = {v.village.code: v.state for v in rate.villages}
    # A1's change of PREVIOUS arrived on M's deadline, a month after PREVIOUS's deadline
    assert monthly.deadline(PREVIOUS) == M.replace(day=DEADLINE_DAY) < DEADLINE
    assert states == {VILLAGE_A1: "late", VILLAGE_A2: "missing", VILLAGE_B1: "missing"}
    rate_a1 = next(v for v in rate.villages if v.village.code == VILLAGE_A1)
    assert rate_a1.received_on == DEADLINE


def test_aggregates_count_the_empty_report_as_received(case) -> None:
    checks = aggregate_checks(orgunit=OrgUnit.objects.get(code=COUNTY), first=M, last=M)
    assert {(m["orgunit"], m["month"]) for m in checks.missing_reports} == {
        (VILLAGE_B1, M.isoformat()[:7])
    }


def test_empty_report_is_idempotent_and_audited(case) -> None:
    reporter = user_with_role("cun-a1", "reporter", VILLAGE_A1)
    a1 = OrgUnit.objects.get(code=VILLAGE_A1)
    before = AuditLog.objects.filter(action="empty_report.file").count()
    first = monthly.empty_report_file(orgunit=a1, month=NEXT.replace(day=17), actor=reporter)
    again = monthly.empty_report_file(orgunit=a1, month=NEXT, actor=reporter)
    assert first.pk == again.pk and first.month == NEXT
    assert EmptyReport.objects.filter(orgunit=a1, month=NEXT).count() == 1
    assert AuditLog.objects.filter(action="empty_report.file").count() == before + 1


def test_empty_report_refusals_change_nothing(case) -> None:
    reporter = user_with_role("cun-a1", "reporter", VILLAGE_A1)
    a1 = OrgUnit.objects.get(code=VILLAGE_A1)
    n = EmptyReport.objects.count()
    future = (_first(TODAY) + datetime.timedelta(days=32)).replace(day=1)
    with pytest.raises(EventRefused) as refused:
        monthly.empty_report_file(orgunit=a1, month=future, actor=reporter)
    assert "尚未到来" in refused.value.problems[0].message_zh
    assert "has not come yet" in refused.value.problems[0].message_en
    with pytest.raises(PermissionDenied):
        monthly.empty_report_file(
            orgunit=OrgUnit.objects.get(code=VILLAGE_B1), month=NEXT, actor=reporter
        )
    with pytest.raises(EventRefused) as refused:  # changes of M were reported
        monthly.empty_report_file(orgunit=a1, month=M, actor=reporter)
    assert refused.value.problems[0].code == "month_has_changes"
    OrgUnit.objects.filter(code=VILLAGE_A1).update(valid_from=NEXT)
    a1.refresh_from_db()
    with pytest.raises(EventRefused) as refused:  # the village did not exist yet
        monthly.empty_report_file(orgunit=a1, month=PREVIOUS, actor=reporter)
    assert refused.value.problems[0].code == "village_absent"
    with pytest.raises(EventRefused):
        monthly.empty_report_file(
            orgunit=OrgUnit.objects.get(code=TOWNSHIP_A), month=NEXT, actor=reporter
        )
    assert EmptyReport.objects.count() == n


def test_a_change_filed_later_supersedes_the_empty_report(case) -> None:
    empty = EmptyReport.objects.get(orgunit_id=VILLAGE_A2, month=M)
    assert monthly.superseding_change(empty) is None
    later = _change(person("丙", "F", "1960-01-01"), M.replace(day=25), TODAY, VILLAGE_A2)
    assert monthly.superseding_change(empty) == later
    a2 = monthly.reporting_rate(OrgUnit.objects.get(code=VILLAGE_A2), M).villages[0]
    # the month stays received on the day of the empty report, and says it was superseded
    assert a2.received_on == case[VILLAGE_A2] and a2.superseded_by == later


def test_reporter_files_on_the_page_and_the_county_sees_it(case) -> None:
    client = client_as("reporter", VILLAGE_A1, "cun-web")
    page = client.get("/quality/empty-report/")
    assert page.status_code == 200
    assert "本月无变动" in page.content.decode()
    response = client.post(
        "/quality/empty-report/", {"village": VILLAGE_A1, "month": NEXT.isoformat()[:7]}
    )
    assert response.status_code == 302
    again = client.post(
        "/quality/empty-report/", {"village": VILLAGE_A1, "month": NEXT.isoformat()[:7]}
    )
    assert again.status_code == 302
    assert EmptyReport.objects.filter(orgunit_id=VILLAGE_A1, month=NEXT).count() == 1
    refused = client.post(
        "/quality/empty-report/", {"village": VILLAGE_A1, "month": M.isoformat()[:7]}
    )
    assert refused.status_code == 200 and "无需上报本月无变动" in refused.content.decode()
    outside = client.post(
        "/quality/empty-report/", {"village": VILLAGE_B1, "month": NEXT.isoformat()[:7]}
    )
    assert outside.status_code == 200  # B1 is not one of the reporter's villages: form error
    assert not EmptyReport.objects.filter(orgunit_id=VILLAGE_B1).exists()

    admin = client_as("county_admin", COUNTY, "xian")
    page = admin.get(f"/quality/reporting/{COUNTY}/?month={M.isoformat()[:7]}")
    assert page.status_code == 200
    total = page.context["rate"].total
    assert (total.on_time, total.late, total.missing) == (1, 1, 1)
    html = page.content.decode()
    assert "66.67%" in html and "南村" in html and f"day {DEADLINE_DAY}" not in html
    township = admin.get(f"/quality/reporting/{TOWNSHIP_A}/?month={M.isoformat()[:7]}")
    assert [v.village.code for v in township.context["villages_shown"]] == [VILLAGE_A1, VILLAGE_A2]
    english = admin.get(
        f"/quality/reporting/{COUNTY}/?month={M.isoformat()[:7]}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert f"by day {DEADLINE_DAY} of the next month" in english.content.decode()
