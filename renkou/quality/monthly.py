"""Monthly reports (月报): the empty report (本月无变动), reporting rate and timeliness.

The definitions, as the reporting-rate page states them:

- A village is **expected** to report for a month if it existed on a day of that month.
- Its report for month M is **received** on the earliest of: the day it filed an empty
  report for M; the report date of a change it reported (source village, not loaded
  history, whatever its review status) dated in M; the day it opened a change report
  (变动单) in M.
- **On time**: received by the deadline, day ``RENKOU_REPORT_DEADLINE_DAY`` (5 unless set) of
  the month after M; **late**: received after it; **missing**: nothing received (yet).
- Reporting rate = received ÷ expected; on-time rate = on time ÷ expected (as DHIS2).

An empty report is one per village and month; a change dated in that month reported after
it does not remove it (the month stays received on the day of the empty report), and it is
shown as superseded by that change.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.db.models.functions import TruncMonth
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.core.scoping import may
from renkou.orgunits.models import Level, OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.quality.models import EmptyReport
from renkou.registry.models import ChangeReport, Event
from renkou.registry.validation import EventRefused, refusal

NOT_REPORTS = ("enrol", "widowhood")  # loaded history; recorded by the system with a death


def month_of(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    """The first day of the month after ``month``."""
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_end(month: datetime.date) -> datetime.date:
    """The last day of ``month``."""
    return next_month(month) - datetime.timedelta(days=1)


def months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of the months first … last."""
    out, month = [], month_of(first)
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def deadline_day() -> int:
    """The day of the next month by which a month's report is on time."""
    return int(getattr(settings, "RENKOU_REPORT_DEADLINE_DAY", 5))


def deadline(month: datetime.date) -> datetime.date:
    """The last day on which the report for ``month`` is on time."""
    return next_month(month).replace(day=deadline_day())


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def received(prefix: str, first: datetime.date, last: datetime.date) -> dict[tuple[str, Any], Any]:
    """{(village code, month): day the month's report was received} for the villages under
    ``prefix`` and the months first … last."""
    first, end = month_of(first), month_end(month_of(last))
    out: dict[tuple[str, datetime.date], datetime.date] = {}

    def take(code: str, month: Any, day: datetime.date) -> None:
        if isinstance(month, datetime.datetime):
            month = month.date()
        key = (code, month)
        if key not in out or day < out[key]:
            out[key] = day

    changes = (
        Event.objects.filter(
            code_prefix_q("orgunit_id", prefix),
            source="village",
            historic=False,
            effective_date__range=(first, end),
        )
        .exclude(kind__in=NOT_REPORTS)
        .annotate(month=TruncMonth("effective_date"))
        .values("orgunit_id", "month")
        .annotate(day=Min("report_date"))
    )
    for row in changes:
        take(row["orgunit_id"], row["month"], row["day"])
    for report in ChangeReport.objects.filter(
        code_prefix_q("orgunit_id", prefix), created_at__date__range=(first, end)
    ).only("orgunit_id", "created_at"):
        day = _local_day(report.created_at)
        take(report.orgunit_id, month_of(day), day)
    for empty in EmptyReport.objects.filter(
        code_prefix_q("orgunit_id", prefix), month__range=(first, end)
    ):
        take(empty.orgunit_id, empty.month, _local_day(empty.filed_at))
    return out


def expected_villages(prefix: str, month: datetime.date) -> list[OrgUnit]:
    """The villages under ``prefix`` that existed on a day of ``month``."""
    return list(
        OrgUnit.objects.filter(
            code__startswith=prefix,
            level=Level.VILLAGE,
            valid_from__lte=month_end(month),
        )
        .exclude(valid_to__lt=month)
        .order_by("code")
    )


@dataclass
class VillageMonth:
    """One village's report for one month."""

    village: OrgUnit
    month: datetime.date
    received_on: datetime.date | None
    deadline: datetime.date
    empty: EmptyReport | None = None
    superseded_by: Event | None = None

    @property
    def state(self) -> str:
        """on_time, late or missing."""
        if self.received_on is None:
            return "missing"
        return "on_time" if self.received_on <= self.deadline else "late"


@dataclass
class RateRow:
    """Counts of one unit (the total, or a sub-unit) for one month."""

    unit: OrgUnit
    expected: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0

    @property
    def reported(self) -> int:
        """Reports received, on time or late."""
        return self.on_time + self.late

    @property
    def rate_percent(self) -> float | None:
        """Received ÷ expected, in per cent (None with nothing expected)."""
        return round(100 * self.reported / self.expected, 2) if self.expected else None

    @property
    def on_time_percent(self) -> float | None:
        """On time ÷ expected, in per cent."""
        return round(100 * self.on_time / self.expected, 2) if self.expected else None


@dataclass
class ReportingRate:
    """The reporting rate of a unit for a month: the total, per sub-unit, and per village."""

    unit: OrgUnit
    month: datetime.date
    deadline: datetime.date
    total: RateRow
    children: list[RateRow] = field(default_factory=list)
    villages: list[VillageMonth] = field(default_factory=list)

    @property
    def missing(self) -> list[VillageMonth]:
        """The villages whose report has not been received."""
        return [v for v in self.villages if v.state == "missing"]


def village_months(prefix: str, month: datetime.date) -> list[VillageMonth]:
    """Each expected village's report for ``month``."""
    month = month_of(month)
    got = received(prefix, month, month)
    empties = {
        e.orgunit_id: e
        for e in EmptyReport.objects.filter(code_prefix_q("orgunit_id", prefix), month=month)
    }
    out = []
    for village in expected_villages(prefix, month):
        empty = empties.get(village.code)
        out.append(_village_month(village, month, got, empty))
    return out


def _village_month(
    village: OrgUnit,
    month: datetime.date,
    got: dict[tuple[str, Any], Any],
    empty: EmptyReport | None,
) -> VillageMonth:
    """One village's month: when its report was received, and its empty report if any."""
    return VillageMonth(
        village=village,
        month=month,
        received_on=got.get((village.code, month)),
        deadline=deadline(month),
        empty=empty,
        superseded_by=superseding_change(empty) if empty else None,
    )


def reporting_rate(unit: OrgUnit, month: datetime.date) -> ReportingRate:
    """The reporting rate of ``unit`` for ``month``, with its sub-units' and villages'."""
    month = month_of(month)
    villages = village_months(unit.code, month)
    children = list(OrgUnit.objects.filter(parent=unit).order_by("code"))
    rows = {c.code: RateRow(c) for c in children}
    total = RateRow(unit)
    for vm in villages:
        targets = [total] + [r for code, r in rows.items() if vm.village.code.startswith(code)]
        for row in targets:
            row.expected += 1
            setattr(row, vm.state, getattr(row, vm.state) + 1)
    return ReportingRate(
        unit=unit,
        month=month,
        deadline=deadline(month),
        total=total,
        children=[r for r in rows.values() if r.expected],
        villages=villages,
    )


def missing_reports(prefix: str, first: datetime.date, last: datetime.date) -> list[dict]:
    """(village, month) of the expected reports not received, months first … last."""
    got = received(prefix, first, last)
    out = []
    for month in months(first, last):
        for village in expected_villages(prefix, month):
            if (village.code, month) not in got:
                out.append({"orgunit": village.code, "month": month.isoformat()[:7]})
    return sorted(out, key=lambda m: (m["orgunit"], m["month"]))


def _month_changes(village: OrgUnit, month: datetime.date) -> Any:
    return Event.objects.filter(
        orgunit=village,
        source="village",
        historic=False,
        effective_date__range=(month, month_end(month)),
    ).exclude(kind__in=NOT_REPORTS)


def superseding_change(empty: EmptyReport) -> Event | None:
    """The first change dated in the empty report's month and reported after it, if any."""
    return (
        _month_changes(empty.orgunit, empty.month)
        .filter(created_at__gt=empty.filed_at)
        .order_by("created_at")
        .first()
    )


def empty_report_file(
    *, orgunit: OrgUnit, month: datetime.date, actor: Any, today: datetime.date | None = None
) -> EmptyReport:
    """File the village's report that nothing changed in ``month`` (本月无变动); audited.

    Filing it again returns the first one. Refused for a unit that is not a village or not
    in the actor's area, a month that has not begun, a month the village did not exist in,
    and a month for which changes have been reported already (it counts as reported).
    """
    month = month_of(month)
    today = today or timezone.localdate()
    label = month.isoformat()[:7]
    if orgunit.level != Level.VILLAGE:
        raise EventRefused([refusal("not_leaf", column="village", value=orgunit.code)])
    if not may(actor, "report", orgunit.code):
        raise PermissionDenied
    if month > month_of(today):
        raise EventRefused([refusal("future_month", column="month", value=label)])
    if orgunit.valid_from > month_end(month) or (orgunit.valid_to and orgunit.valid_to < month):
        raise EventRefused(
            [
                refusal(
                    "village_absent",
                    column="month",
                    value=orgunit.code,
                    name=orgunit.name,
                    day=label,
                )
            ]
        )
    existing = EmptyReport.objects.filter(orgunit=orgunit, month=month).first()
    if existing is not None:
        return existing
    count = _month_changes(orgunit, month).count()
    if count:
        raise EventRefused(
            [refusal("month_has_changes", column="month", value=label, count=str(count))]
        )
    try:
        with transaction.atomic():
            report = EmptyReport.objects.create(
                orgunit=orgunit,
                month=month,
                reporter=actor if getattr(actor, "pk", None) else None,
                filed_at=timezone.now(),
            )
            audit_record(
                actor=actor,
                action="empty_report.file",
                object_type="empty_report",
                object_id=report.pk,
                after={"orgunit": orgunit.code, "month": label},
            )
    except IntegrityError:  # filed at the same moment by another request
        return EmptyReport.objects.get(orgunit=orgunit, month=month)
    return report


def village_history(village: OrgUnit, last: datetime.date, n: int = 12) -> list[VillageMonth]:
    """The village's reports for the ``n`` months up to ``last``, newest first."""
    first = month_of(last)
    for _ in range(n - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    got = received(village.code, first, last)
    empties = {e.month: e for e in EmptyReport.objects.filter(orgunit=village, month__gte=first)}
    out = []
    for month in reversed(months(first, last)):
        if not village.is_valid_on(month_end(month)) and not village.is_valid_on(month):
            continue
        empty = empties.get(month)
        out.append(_village_month(village, month, got, empty))
    return out
