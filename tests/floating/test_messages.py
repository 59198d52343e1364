"""Messages between areas: the arrival notice an arrival writes, a verification request
answered with corrections that the asking office reviews and applies, "not registered
here", the same message twice, a reply before its request, the worklist and the rates."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from renkou.core.models import AuditLog
from renkou.floating import selectors, services
from renkou.floating import wire as floating_wire
from renkou.floating.models import Message
from renkou.orgunits.models import OrgUnit
from renkou.registry import services as registry_services
from renkou.registry.models import Event, Person
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_B1,
    client_as,
    id_number,
)

pytestmark = pytest.mark.django_db

ORIGIN = "430521"
TODAY = timezone.localdate()


def arrive(days_ago: int, seq: int = 13, name: str = "刘强") -> Event:
    """An applied arrival from 湖南邵东 into village A1, ``days_ago`` days ago."""
    birth = datetime.date(1988, 4, 2)
    event = registry_services.arrival_submit(
        id_number=id_number(birth.isoformat(), seq, region=ORIGIN),
        name=name,
        sex="M" if seq % 2 else "F",
        birth_date=birth,
        hukou_region=ORIGIN,
        hukou_type="rural",
        ethnicity="01",
        marital_status="single",
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        effective_date=TODAY - datetime.timedelta(days=days_ago),
        actor="test",
    )
    return registry_services.event_apply(event=event, actor="test")


def move_p1_to_b1() -> Person:
    """张伟 (registered in A1) now lives in village B1 of township B."""
    p1 = Person.objects.get(person_ref="P1")
    event = registry_services.event_submit(
        kind="move_in",
        person=p1,
        orgunit=OrgUnit.objects.get(code=VILLAGE_B1),
        effective_date=TODAY - datetime.timedelta(days=40),
        source="village",
        actor="test",
        payload={"to_orgunit": VILLAGE_B1},
    )
    registry_services.event_apply(event=event, actor="test")
    p1.refresh_from_db()
    return p1


def test_an_arrival_writes_its_notice_to_send(county: None) -> None:
    event = arrive(days_ago=2)
    notice = Message.objects.get(kind="notice")
    assert notice.arrival_id == event.pk and notice.person_id == event.person_id
    assert (notice.sender_area, notice.receiver_area) == (VILLAGE_A1, ORIGIN)
    assert notice.state == "to_send" and notice.event_date == event.effective_date
    assert notice.deadline_days == 7 and notice.due_on == event.effective_date + datetime.timedelta(
        7
    )
    # the message carries the person's identity number only masked and encrypted
    assert notice.person_data["id_number_masked"] == event.person.id_number_masked
    assert "id_number" not in notice.person_data
    # applying is what writes it: a second notice is never written for the same arrival
    assert services.notice_create(arrival=event, actor="test") == notice

    reporter = client_as("reporter", VILLAGE_A1, "rep")
    page = reporter.get("/floating/?tab=to_send")
    assert [m.pk for m in page.context["rows"]] == [notice.pk]
    other = client_as("statistician", TOWNSHIP_B, "other")
    assert other.get(f"/floating/messages/{notice.message_id}/").status_code == 404
    assert other.get("/floating/?tab=to_send").context["rows"] == []
    assert other.post(f"/floating/messages/{notice.message_id}/send/").status_code == 404

    response = reporter.post(f"/floating/messages/{notice.message_id}/send/")
    assert response.status_code == 302
    notice.refresh_from_db()
    # an area elsewhere: sent, waiting for the delivery between servers; answer due in 15
    assert notice.state == "sent" and notice.received_at is None
    assert notice.due_on == TODAY + datetime.timedelta(15)
    assert [m.pk for m in reporter.get("/floating/?tab=waiting").context["rows"]] == [notice.pk]
    assert reporter.post(f"/floating/messages/{notice.message_id}/send/").status_code == 302
    assert AuditLog.objects.filter(action="floating.send").count() == 1  # twice: sent once


def test_a_late_notice_is_overdue(county: None) -> None:
    arrive(days_ago=30)
    notice = Message.objects.get(kind="notice")
    assert notice.due_on == TODAY - datetime.timedelta(23)
    statistician = client_as("statistician", TOWNSHIP_A, "stat")
    assert [m.pk for m in statistician.get("/floating/?tab=overdue").context["rows"]] == [notice.pk]


def test_request_answered_with_a_correction_that_the_asking_office_applies(
    county: None,
) -> None:
    p1 = move_p1_to_b1()
    asker = client_as("reporter", VILLAGE_B1, "asker")
    assert (
        f"/floating/requests/new/?person={p1.pk}"
        in asker.get(f"/persons/{p1.pk}/").content.decode()
    )
    form = asker.get(f"/floating/requests/new/?person={p1.pk}")
    assert form.status_code == 200
    post = {"person": p1.pk, "questions": ["registered", "record"], "token": "t1", "send": "1"}
    assert asker.post("/floating/requests/new/", post).status_code == 302
    assert asker.post("/floating/requests/new/", post).status_code == 302  # twice: one
    request = Message.objects.get(kind="request")
    assert (request.sender_area, request.receiver_area) == (VILLAGE_B1, VILLAGE_A1)
    assert request.state == "sent" and request.received_at is not None  # ours: delivered
    assert request.body["questions"] == ["registered", "record"]

    answerer = client_as("reporter", VILLAGE_A1, "answerer")
    rows = answerer.get("/floating/?tab=to_answer").context["rows"]
    assert [m.pk for m in rows] == [request.pk]
    assert asker.post(f"/floating/messages/{request.message_id}/reply/", {}).status_code == 403
    response = answerer.post(
        f"/floating/messages/{request.message_id}/reply/",
        {"outcome": "corrected", "correct_name": "张维", "note": "户籍登记为张维"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    reply = Message.objects.get(kind="reply")
    assert request.state == "answered" and request.answered_at is not None
    assert reply.answers_id == request.pk and reply.in_reply_to == request.message_id
    assert (reply.sender_area, reply.receiver_area) == (VILLAGE_A1, VILLAGE_B1)
    assert reply.body["corrections"] == {"name": "张维"} and reply.state == "sent"
    p1.refresh_from_db()
    assert p1.name == "张伟"  # a reply never writes the register by itself

    reviewer = client_as("statistician", TOWNSHIP_B, "reviewer")
    listed = reviewer.get("/floating/?tab=to_review")
    assert [m.pk for m in listed.context["rows"]] == [reply.pk]
    assert "张伟 → 张维" in listed.content.decode()  # shown with what it changes
    page = reviewer.get(f"/floating/messages/{reply.message_id}/", HTTP_ACCEPT_LANGUAGE="en")
    changes = page.context["changes"]
    assert [(c.before, c.after, c.problem) for c in changes] == [("张伟", "张维", "")]
    # the reporter of B1 may not apply it; the township's statistician may
    review = {"decision": "applied", "note": ""}
    assert asker.post(f"/floating/messages/{reply.message_id}/review/", review).status_code == 403
    assert (
        reviewer.post(f"/floating/messages/{reply.message_id}/review/", review).status_code == 302
    )
    assert (
        reviewer.post(f"/floating/messages/{reply.message_id}/review/", review).status_code == 302
    )
    p1.refresh_from_db()
    reply.refresh_from_db()
    assert p1.name == "张维" and reply.state == "reviewed" and reply.decision == "applied"
    correction = Event.objects.get(kind="correction", person=p1)
    assert correction.status == "applied"
    assert correction.external_ref == f"floating:{reply.message_id}:name"
    assert [a.action for a in AuditLog.objects.filter(action="floating.review")] == [
        "floating.review"
    ]


def wire(kind: str, sender: str, receiver: str, person: dict, **extra: object) -> dict:
    return {
        "message_id": str(uuid.uuid4()),
        "kind": kind,
        "from": sender,
        "to": receiver,
        "in_reply_to": None,
        "deadline_days": 15,
        "body": {"questions": ["registered"]},
        "person": person,
        **extra,
    }


def test_a_person_not_here_is_answered_not_registered(county: None) -> None:
    stranger = {
        "id_number": id_number("1970-01-01", 51, region="110105"),
        "name": "王五",
        "sex": "M",
        "birth_date": "1970-01-01",
        "hukou": VILLAGE_A1,
        "residence": "110105",
    }
    request, stored = floating_wire.message_receive(
        wire=wire("request", "110105", VILLAGE_A1, stranger), actor="peer"
    )
    assert stored
    request.refresh_from_db()
    reply = Message.objects.get(kind="reply")
    assert reply.outcome == "not_registered" and reply.answers_id == request.pk
    assert (reply.sender_area, reply.receiver_area) == (VILLAGE_A1, "110105")
    assert request.state == "answered"
    # the message kept the number as the register does: blind index, ciphertext, mask
    assert request.person_data["id_number_masked"].startswith("110105")
    assert "id_number" not in request.person_data
    # the wire form gives it back in clear for the receiving server
    assert floating_wire.message_wire(request)["person"]["id_number"] == stranger["id_number"]


def test_the_same_message_twice_and_a_reply_before_its_request(county: None) -> None:
    p2 = Person.objects.get(person_ref="P2")
    person = {
        "id_number": id_number("1992-07-20", 22),
        "name": p2.name,
        "sex": "F",
        "birth_date": "1992-07-20",
        "hukou": VILLAGE_A1,
        "residence": "440305",
    }
    request_wire = wire("notice", "440305", VILLAGE_A1, person)
    reply_wire = wire(
        "reply",
        VILLAGE_A1,
        "440305",
        person,
        in_reply_to=request_wire["message_id"],
        outcome="confirmed",
        body={"corrections": {}},
    )
    reply, stored = floating_wire.message_receive(wire=reply_wire, actor="peer")
    assert stored and reply.answers_id is None  # its request has not come yet
    again, stored_again = floating_wire.message_receive(wire=reply_wire, actor="peer")
    assert again.pk == reply.pk and not stored_again
    request, _ = floating_wire.message_receive(wire=request_wire, actor="peer")
    reply.refresh_from_db()
    request.refresh_from_db()
    assert reply.answers_id == request.pk and request.state == "answered"
    assert request.person_id == p2.pk  # found in the register by the blind index
    assert Message.objects.count() == 2  # no "not registered" reply: she is here
    with pytest.raises(services.MessageRefused):
        floating_wire.message_receive(wire={**reply_wire, "to": VILLAGE_B1}, actor="peer")
    with pytest.raises(services.MessageRefused):
        floating_wire.message_receive(wire={**reply_wire, "message_id": "nonsense"}, actor="peer")
    assert Message.objects.count() == 2


def test_rates_of_a_unit_counted_by_hand(county: None) -> None:
    """Arrivals into A1: 3 days ago and sent now (in time, 3 ≤ 7), 20 days ago and sent now
    (late), yesterday and not sent: 通报率 1/3. Requests received by A1: 20 days ago with 15
    days and answered now (answered, 5 days late), now and answered now (on time), now and
    not answered: 协查反馈率 2/3, 反馈及时率 1/3."""
    for days_ago, seq, name in ((3, 13, "甲"), (20, 15, "乙"), (1, 17, "丙")):
        arrive(days_ago, seq, name)
    for notice in Message.objects.filter(
        kind="notice", event_date__lt=TODAY - datetime.timedelta(1)
    ):
        services.message_send(message=notice, actor="test")
    p2 = Person.objects.get(person_ref="P2")
    person = {
        "id_number": id_number("1992-07-20", 22),
        "name": p2.name,
        "sex": "F",
        "birth_date": "1992-07-20",
        "hukou": VILLAGE_A1,
        "residence": "440305",
    }
    now = timezone.now()
    early, _ = floating_wire.message_receive(
        wire=wire("request", "440305", VILLAGE_A1, person),
        actor="peer",
        now=now - datetime.timedelta(days=20),
    )
    fresh, _ = floating_wire.message_receive(
        wire=wire("request", "440305", VILLAGE_A1, person), actor="peer"
    )
    floating_wire.message_receive(wire=wire("request", "440305", VILLAGE_A1, person), actor="peer")
    for request in (early, fresh):
        services.reply_create(
            request=request, outcome="confirmed", corrections={}, note="", actor="t"
        )
    figures = selectors.unit_rates(VILLAGE_A1, TODAY - datetime.timedelta(60), TODAY)
    assert (figures["notice"].numerator, figures["notice"].denominator) == (1, 3)
    assert (figures["reply"].numerator, figures["reply"].denominator) == (2, 3)
    assert (figures["on_time"].numerator, figures["on_time"].denominator) == (1, 3)
    # the township counts the same; township B has nothing
    assert selectors.unit_rates(TOWNSHIP_A, TODAY - datetime.timedelta(60), TODAY) == figures
    empty = selectors.unit_rates(TOWNSHIP_B, TODAY - datetime.timedelta(60), TODAY)
    assert empty["notice"].percent is None and empty["reply"].denominator == 0

    admin = client_as("county_admin", COUNTY, "admin")
    page = admin.get(f"/floating/rates/?unit={VILLAGE_A1}&period={TODAY.year}")
    assert page.status_code == 200
    period = page.context["period"]
    assert page.context["figures"] == selectors.unit_rates(VILLAGE_A1, period.start, period.end)
    reporter_b = client_as("reporter", VILLAGE_B1, "repb")
    assert reporter_b.get(f"/floating/rates/?unit={VILLAGE_A1}").status_code == 404


def test_floating_stock_at_the_end_of_a_day(county: None) -> None:
    """Hand count against the day before: one arrival from 湖南邵东 lives in A1 (流入 of A1,
    township A and the county, from 430521 in 430000), and 张伟 of A1 lives in B1 (流出 of
    A1 and township A to our own county; inside the county he does not float)."""
    before = {u: selectors.unit_stock(u, TODAY) for u in (VILLAGE_A1, TOWNSHIP_A, COUNTY)}
    arrive(days_ago=5)
    move_p1_to_b1()
    after = {u: selectors.unit_stock(u, TODAY) for u in (VILLAGE_A1, TOWNSHIP_A, COUNTY)}
    for unit in (VILLAGE_A1, TOWNSHIP_A, COUNTY):
        assert after[unit].inflow - before[unit].inflow == 1, unit
        grew = after[unit].inflow_by_county - before[unit].inflow_by_county
        assert dict(grew) == {ORIGIN: 1}, unit
        grew_p = after[unit].inflow_by_province - before[unit].inflow_by_province
        assert dict(grew_p) == {"430000": 1}, unit
    for unit in (VILLAGE_A1, TOWNSHIP_A):
        gone = after[unit].outflow_by_county - before[unit].outflow_by_county
        assert dict(gone) == {COUNTY: 1}, unit
    assert after[COUNTY].outflow == before[COUNTY].outflow
    # before the move and the arrival (50 days ago) neither counted
    earlier = selectors.unit_stock(VILLAGE_A1, TODAY - datetime.timedelta(50))
    assert earlier.inflow_by_county[ORIGIN] == 0


def test_bad_replies_and_reviews_are_refused_whole(county: None) -> None:
    p1 = move_p1_to_b1()
    b1_unit = OrgUnit.objects.get(code=VILLAGE_B1).code
    # 李丽 lives and is registered in A1: there is no one to ask
    p2 = Person.objects.get(person_ref="P2")
    with pytest.raises(services.MessageRefused) as refused:
        services.request_create(
            person=p2, sender_area=VILLAGE_A1, questions=["record"], note="", actor="t"
        )
    assert "无需协查" in refused.value.problems[0].message_zh
    with pytest.raises(services.MessageRefused):
        services.request_create(person=p1, sender_area=b1_unit, questions=[], note="", actor="t")
    request = services.request_create(
        person=p1, sender_area=b1_unit, questions=["record"], note="", actor="t"
    )
    services.message_send(message=request, actor="t")
    with pytest.raises(services.MessageRefused) as refused:
        services.reply_create(
            request=request, outcome="corrected", corrections={}, note="", actor="t"
        )
    assert refused.value.problems[0].message_en == "a correction is required"
    with pytest.raises(services.MessageRefused):
        services.reply_create(
            request=request, outcome="corrected", corrections={"phone": "1"}, note="", actor="t"
        )
    # a birth date that the identity number contradicts: stored as the other office says it
    reply = services.reply_create(
        request=request,
        outcome="corrected",
        corrections={"birth_date": "1990-03-06", "name": "张维"},
        note="",
        actor="t",
    )
    reviewer = client_as("statistician", TOWNSHIP_B, "reviewer")
    page = reviewer.get(f"/floating/messages/{reply.message_id}/", HTTP_ACCEPT_LANGUAGE="en")
    problems = [c.problem for c in page.context["changes"]]
    assert problems[0] and "identity number" in problems[0] and problems[1] == ""
    events = Event.objects.count()
    response = reviewer.post(
        f"/floating/messages/{reply.message_id}/review/",
        {"decision": "applied"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "identity number" in response.content.decode()
    reply.refresh_from_db()
    p1.refresh_from_db()
    # nothing half-written: not the name either, and the reply still waits for review
    assert Event.objects.count() == events and p1.name == "张伟" and reply.state == "sent"
    declined = reviewer.post(
        f"/floating/messages/{reply.message_id}/review/", {"decision": "declined", "note": ""}
    )
    assert declined.status_code == 302
    reply.refresh_from_db()
    assert reply.state == "sent"  # declining needs a reason
    reviewer.post(
        f"/floating/messages/{reply.message_id}/review/",
        {"decision": "declined", "note": "户籍底册为1990-03-05"},
    )
    reply.refresh_from_db()
    assert reply.state == "reviewed" and reply.decision == "declined"
