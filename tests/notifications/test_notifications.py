"""Notifications: who is told of what, in the reader's language, counted, marked read, scoped."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import translation

from renkou.core.jobs import KINDS, job_run, job_start
from renkou.core.models import AuditLog, Job
from renkou.notifications.models import Notification, Verb
from renkou.notifications.selectors import message_of, notifications_for, unread_count
from renkou.notifications.services import notify, reviewers_of
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Person
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    login_as,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(county: None) -> dict[str, Any]:
    """A reporter of each village of township A, a statistician of township A only (B has
    none), two county administrators."""
    return {
        "rep_a1": user_with_role("rep-a1", "reporter", VILLAGE_A1),
        "rep_a2": user_with_role("rep-a2", "reporter", VILLAGE_A2),
        "rep_b1": user_with_role("rep-b1", "reporter", VILLAGE_B1),
        "stat_a": user_with_role("stat-a", "statistician", TOWNSHIP_A),
        "admin": user_with_role("admin-1", "county_admin", COUNTY),
        "admin2": user_with_role("admin-2", "county_admin", COUNTY),
    }


def birth(reporter: Any, village: str = VILLAGE_A1, ref: str | None = None, **kw: Any) -> Any:
    return services.birth_submit(
        name=kw.pop("name", "张小花"),
        sex="F",
        birth_date=datetime.date(2025, 5, 1),
        orgunit=OrgUnit.objects.get(code=village),
        actor=reporter,
        mother=kw.pop("mother", Person.objects.get(person_ref="P2")),
        external_ref=ref,
        **kw,
    )


def told(user: Any) -> list[tuple[str, str]]:
    return [(n.verb, n.object_id) for n in Notification.objects.filter(recipient=user)]


def test_the_statistician_of_the_township_is_told_of_a_new_submission(
    staff: dict[str, Any],
) -> None:
    event = birth(staff["rep_a1"])
    assert told(staff["stat_a"]) == [(Verb.SUBMITTED, str(event.pk))]
    # the county administrators do not review where a statistician does; the reporter
    # and the other villages' reporters hear nothing
    for other in ("admin", "admin2", "rep_a1", "rep_a2", "rep_b1"):
        assert told(staff[other]) == []


def test_where_no_statistician_covers_the_village_the_county_administrators_are_told(
    staff: dict[str, Any],
) -> None:
    assert reviewers_of(VILLAGE_B1) == {staff["admin"].pk, staff["admin2"].pk}
    event = birth(staff["rep_b1"], village=VILLAGE_B1, mother=None)
    assert told(staff["admin"]) == told(staff["admin2"]) == [(Verb.SUBMITTED, str(event.pk))]
    assert told(staff["stat_a"]) == []
    # a statistician of township B from now on takes over
    stat_b = user_with_role("stat-b", "statistician", TOWNSHIP_B)
    assert reviewers_of(VILLAGE_B1) == {stat_b.pk}


def test_a_repeated_submission_of_the_same_reference_tells_once(staff: dict[str, Any]) -> None:
    first = birth(staff["rep_a1"], ref="web:abc")
    again = birth(staff["rep_a1"], ref="web:abc")
    assert again.pk == first.pk
    assert Notification.objects.filter(recipient=staff["stat_a"]).count() == 1


def test_a_rolled_back_submission_leaves_no_notification(staff: dict[str, Any]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        birth(staff["rep_a1"])
        assert Notification.objects.count() == 1  # written in the event's transaction
        raise RuntimeError
    assert Notification.objects.count() == 0


def test_the_reporter_is_told_of_the_decision_with_the_reason(staff: dict[str, Any]) -> None:
    rejected = birth(staff["rep_a1"], name="张一")
    services.event_reject(event=rejected, actor=staff["stat_a"], reason="出生日期有误")
    applied = birth(staff["rep_a1"], name="张二")
    services.event_apply(event=applied, actor=staff["stat_a"], warnings_reason="核实")
    assert told(staff["rep_a1"]) == [
        (Verb.REJECTED, str(rejected.pk)),
        (Verb.APPLIED, str(applied.pk)),
    ]
    note = Notification.objects.get(recipient=staff["rep_a1"], verb=Verb.REJECTED)
    with translation.override("zh-hans"):
        assert message_of(note) == "您的上报被退回：张一 的出生。原因：出生日期有误"
    with translation.override("en"):
        assert message_of(note) == "Your report was rejected: Birth of 张一. Reason: 出生日期有误"


def test_who_decides_their_own_report_is_not_told(staff: dict[str, Any]) -> None:
    event = birth(staff["stat_a"])
    services.event_apply(event=event, actor=staff["stat_a"], warnings_reason="核实")
    assert told(staff["stat_a"]) == []


@pytest.fixture
def job_kinds() -> Any:
    def ok(*, progress: Any) -> dict[str, int]:
        return {"persons": 3}

    def broken(*, progress: Any) -> None:
        raise ValueError("broken on purpose")

    KINDS["test.ok"], KINDS["test.broken"] = ok, broken
    yield
    del KINDS["test.ok"], KINDS["test.broken"]


def test_who_started_a_job_is_told_when_it_finishes_or_fails(
    staff: dict[str, Any], job_kinds: None
) -> None:
    done = job_start(kind="test.ok", params={}, actor=staff["admin"], orgunit=COUNTY)
    failed = job_start(kind="test.broken", params={}, actor=staff["admin"], orgunit=COUNTY)
    queued = job_start(kind="test.ok", params={}, actor=staff["admin"], orgunit=COUNTY)
    job_run(done.pk)
    job_run(failed.pk)
    assert Job.objects.get(pk=failed.pk).status == "failed"
    assert told(staff["admin"]) == [
        (Verb.JOB_DONE, str(done.pk)),
        (Verb.JOB_FAILED, str(failed.pk)),
    ]
    assert str(queued.pk) not in {o for _v, o in told(staff["admin"])}
    assert told(staff["admin2"]) == []


def test_a_cycle_waits_for_a_second_administrators_approval_when_its_notice_ends(
    staff: dict[str, Any],
) -> None:
    from renkou.benefits.services import cycle_compute, cycle_notice

    clerk, head = staff["admin"], staff["admin2"]
    cycle = cycle_compute(
        programme="childcare", year=2025, orgunit=OrgUnit.objects.get(code=TOWNSHIP_A), actor=clerk
    )
    cycle_notice(
        cycle=cycle,
        start=datetime.date(2025, 3, 1),
        days=7,
        actor=clerk,
        today=datetime.date(2025, 3, 1),
    )
    assert told(clerk) == []  # who computed it may not approve it
    assert told(head) == [(Verb.CYCLE_APPROVAL, str(cycle.pk))]
    # shown from the day after the notice ends (2025-03-07)
    assert not notifications_for(head, today=datetime.date(2025, 3, 7)).exists()
    assert notifications_for(head, today=datetime.date(2025, 3, 8)).count() == 1
    with translation.override("zh-hans"):
        text = message_of(notifications_for(head, today=datetime.date(2025, 3, 8)).get())
    assert text.startswith("发放周期等待您审批：甲镇") and "2025" in text


def page_client(user: Any, language: str) -> Client:
    return login_as(Client(HTTP_ACCEPT_LANGUAGE=language), user)


def test_the_list_is_in_the_readers_language_not_the_actors(staff: dict[str, Any]) -> None:
    # the reporter works in English; the statistician reads Chinese
    reporter = page_client(staff["rep_a1"], "en")
    form = reporter.get("/changes/new/birth/").context["form"]
    reporter.post(
        "/changes/new/birth/",
        {
            "token": form["token"].initial,
            "village": VILLAGE_A1,
            "effective_date": "2025-05-01",
            "name": "张小花",
            "sex": "F",
            "id_number": "",
            "mother": Person.objects.get(person_ref="P2").pk,
        },
    )
    note = Notification.objects.get(recipient=staff["stat_a"])
    zh = page_client(staff["stat_a"], "zh-hans").get("/notifications/").content.decode()
    assert "新的待审核上报：东村 张小花 的出生" in zh and "New report" not in zh
    en = page_client(staff["stat_a"], "en").get("/notifications/").content.decode()
    assert "New report to review: Birth of 张小花, 东村" in en
    assert f'href="/notifications/{note.pk}/open/"' in zh


def test_the_header_counts_unread_and_marking_read_lowers_it(staff: dict[str, Any]) -> None:
    events = [birth(staff["rep_a1"], name=f"张{i}") for i in range(3)]
    stat = page_client(staff["stat_a"], "zh-hans")
    home = stat.get("/").content.decode()
    assert '<span class="count" id="notifications-unread">3</span>' in home
    first = Notification.objects.get(recipient=staff["stat_a"], object_id=str(events[0].pk))
    opened = stat.get(f"/notifications/{first.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == f"/changes/{events[0].pk}/"
    assert unread_count(staff["stat_a"]) == 2
    second = Notification.objects.get(recipient=staff["stat_a"], object_id=str(events[1].pk))
    stat.post(f"/notifications/{second.pk}/read/")
    stat.post(f"/notifications/{second.pk}/read/")  # again: nothing more changes
    assert unread_count(staff["stat_a"]) == 1
    assert (
        AuditLog.objects.filter(action="notification.read", object_id=str(second.pk)).count() == 1
    )
    stat.post("/notifications/read-all/")
    assert unread_count(staff["stat_a"]) == 0
    assert 'id="notifications-unread"' not in stat.get("/").content.decode()
    unread = stat.get("/notifications/?show=unread")
    assert list(unread.context["notifications"]) == []


def test_a_reporter_never_sees_a_notification_about_another_village(
    staff: dict[str, Any],
) -> None:
    a1 = birth(staff["rep_a1"])
    services.event_reject(event=a1, actor=staff["stat_a"], reason="重复")
    other = page_client(staff["rep_a2"], "zh-hans")
    assert other.get("/notifications/").context["notifications"] == []
    mine = Notification.objects.get(recipient=staff["rep_a1"])
    assert other.get(f"/notifications/{mine.pk}/open/").status_code == 404
    assert other.post(f"/notifications/{mine.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=mine.pk).read_at is None
    # a notification about A1 addressed to the A2 reporter (a role since moved) is not shown
    notify(
        recipients=[staff["rep_a2"].pk],
        verb=Verb.APPLIED,
        params={"kind": "birth", "name": "张小花"},
        object_type="event",
        object_id=a1.pk,
        orgunit=VILLAGE_A1,
    )
    assert unread_count(staff["rep_a2"]) == 0
    assert other.get("/notifications/").context["notifications"] == []


def test_a_long_list_comes_a_page_at_a_time(staff: dict[str, Any]) -> None:
    """55 submissions: the statistician's list shows 50, newest first, and the rest on
    page 2, with the unread filter kept in the pager's links."""
    for i in range(55):
        birth(staff["rep_a1"], ref=f"page-{i:02d}", name=f"张{i:02d}")
    client = page_client(staff["stat_a"], "zh-hans")
    first = client.get("/notifications/?show=unread")
    second = client.get("/notifications/?show=unread&page=2")
    one, two = first.context["notifications"], second.context["notifications"]
    assert len(one) == 50 and len(two) == 5
    names = [n.message for n in one + two]
    assert "张54" in names[0] and "张00" in names[-1] and len(set(names)) == 55
    assert "show=unread&amp;page=2" in first.content.decode()
