"""The worker keeps every recent period computed: months, quarters, years, statistical years
and halves of the current and previous year, after applied events and on its schedule; a
period computed on request comes with its months and quarters."""

from __future__ import annotations

import datetime

import pytest

from renkou.analytics.cache import counts_load, indicators_keep_ready, recent_periods
from renkou.analytics.jobs import with_parts
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import parse
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Person
from tests.analytics.hand_register import B1, COUNTY, hand_register

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 6, 30)


def births(unit, period):
    return IndicatorValue.objects.get(
        indicator="births", orgunit=unit, period=period, basis="registered"
    ).value


def test_recent_periods_are_the_current_and_previous_year():
    ids = {p.id for p in recent_periods(TODAY)}
    months = {f"{y}{m:02d}" for y in (2024, 2025) for m in range(1, 13) if (y, m) <= (2025, 6)}
    quarters = {"2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"}
    # statistical years 2024 (2023Oct) and 2025 (2024Oct) reach into the two years
    stat = {"2023Oct", "2024Oct", "2023OctS1", "2023OctS2", "2024OctS1", "2024OctS2"}
    assert ids == months | quarters | {"2024", "2025"} | stat


def test_the_worker_computes_every_recent_period_then_keeps_them(tmp_path):
    hand_register(tmp_path / "load")
    snap = tmp_path / "snap"
    first = indicators_keep_ready(directory=snap, today=TODAY)
    have = set(IndicatorValue.objects.values_list("period", flat=True))
    assert {p.id for p in recent_periods(TODAY)} <= have
    # births by month, worked out from the register's table: C1 31 Mar, C2 1 Apr, I1
    # 10 Feb, the twins 15 Jul; L1 (2023-11-10) in B1
    assert [births(COUNTY, f"2024{m:02d}") for m in range(1, 13)] == [
        0, 1, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0,
    ]  # fmt: skip
    assert births(COUNTY, "2025") == 0
    assert first.stored > 0 and counts_load(snap) is not None

    # a birth applied later is taken in by recomputing only what it touches
    mother = Person.objects.get(person_ref="M6")
    birth = services.birth_submit(
        name="新生",
        sex="F",
        birth_date=datetime.date(2025, 5, 20),
        orgunit=OrgUnit.objects.get(code=B1),
        actor="test",
        mother=mother,
        report_date=datetime.date(2025, 5, 22),
    )
    services.event_apply(event=birth, actor="test", warnings_reason="补报，尚未办证")
    again = indicators_keep_ready(directory=snap, today=TODAY)
    assert again.snapshot.events == 1 and 0 < again.invalidated < first.stored
    assert births(B1, "202505") == 1
    assert births(COUNTY, "2025Q2") == 1
    assert births(COUNTY, "2024Oct") == 1  # statistical year 2025
    assert not IndicatorValue.objects.filter(stale=True).exists()


def test_a_year_computed_on_request_comes_with_its_months_and_quarters():
    ids = [p.id for p in with_parts(parse("2019"))]
    assert ids[0] == "2019"
    assert sorted(ids[1:]) == sorted(
        [f"2019{m:02d}" for m in range(1, 13)] + ["2019Q1", "2019Q2", "2019Q3", "2019Q4"]
    )
    half = [p.id for p in with_parts(parse("2023OctS1"))]
    assert sorted(half) == sorted(
        [
            "2023OctS1",
            "202310",
            "202311",
            "202312",
            "202401",
            "202402",
            "202403",
            "2023Q4",
            "2024Q1",
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_schedule_queues_one_refresh_at_a_time():
    import threading

    from django_tasks_db.models import DBTaskResult

    from renkou.analytics.tasks import indicators_refresh_task
    from renkou.web.management.commands.worker import statistics_schedule

    stop = threading.Event()
    thread = threading.Thread(target=statistics_schedule, args=(0.05, stop))
    thread.start()
    try:
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=10)
        queued = DBTaskResult.objects.filter(task_path=indicators_refresh_task.module_path)
        while not queued.exists() and datetime.datetime.now() < deadline:
            stop.wait(0.05)
        stop.wait(0.3)  # several more ticks: none queues a second refresh while one waits
    finally:
        stop.set()
        thread.join(5)
    assert queued.filter(status="READY").count() == 1
