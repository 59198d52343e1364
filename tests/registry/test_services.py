"""The write path: submit, review, apply, reject, correct; each audited and folded."""

from __future__ import annotations

import datetime

import pytest

from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Event, Person
from renkou.registry.rebuild import registry_rebuild
from renkou.registry.validation import EventRefused
from tests.builders import VILLAGE_A1, VILLAGE_A2, id_number

pytestmark = pytest.mark.django_db


def village(code: str = VILLAGE_A1) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def test_birth_is_applied_with_parents_and_birth_order(county: None) -> None:
    mother = Person.objects.get(person_ref="P2")
    father = Person.objects.get(person_ref="P1")
    birth_day = datetime.date(2024, 8, 8)
    number = id_number("2024-08-08", 24)
    event = services.birth_submit(
        name="张小红",
        sex="F",
        birth_date=birth_day,
        orgunit=village(),
        actor="test",
        mother=mother,
        father=father,
        id_number=number,
        report_date=datetime.date(2024, 8, 20),
    )
    assert event.status == "submitted" and event.person is None
    services.event_review(event=event, actor="test")
    applied = services.event_apply(event=event, actor="test")
    child = applied.person
    assert applied.status == "applied" and applied.applied_seq is not None
    assert (child.name, child.sex, child.birth_date) == ("张小红", "F", birth_day)
    assert child.mother == mother and child.father == father
    assert child.birth_order == 2  # P3, born 2021, is the first
    assert child.hukou_orgunit_id == mother.hukou_orgunit_id
    assert child.household == mother.household and child.relation_to_head == "child"
    assert child.id_number_masked == number[:6] + "********" + number[-4:]
    actions = list(
        AuditLog.objects.filter(object_id__in=[str(event.pk), str(child.pk)]).values_list(
            "action", flat=True
        )
    )
    assert actions == ["event.submit", "event.reviewed", "event.apply", "person.create"]
    assert registry_rebuild(fix=False, actor="test").differences == []


def test_death_then_no_later_event(county: None) -> None:
    person = Person.objects.get(person_ref="P1")
    death = services.event_submit(
        kind="death",
        person=person,
        orgunit=village(),
        effective_date=datetime.date(2024, 1, 2),
        source="village",
        actor="test",
    )
    services.event_apply(event=death, actor="test")
    person.refresh_from_db()
    assert person.status == "dead" and person.death_date == datetime.date(2024, 1, 2)
    with pytest.raises(EventRefused) as caught:
        services.event_submit(
            kind="move_in",
            person=person,
            orgunit=village(VILLAGE_A2),
            effective_date=datetime.date(2024, 3, 1),
            source="village",
            actor="test",
            payload={"to_orgunit": VILLAGE_A2},
        )
    assert [p.code for p in caught.value.problems] == ["event_after_death"]


def test_moves_change_residence_inside_and_outside_the_area(county: None) -> None:
    person = Person.objects.get(person_ref="P5")
    move = services.event_submit(
        kind="move_in",
        person=person,
        orgunit=village(VILLAGE_A2),
        effective_date=datetime.date(2024, 2, 1),
        source="village",
        actor="test",
        payload={"to_orgunit": VILLAGE_A2},
    )
    services.event_apply(event=move, actor="test")
    person.refresh_from_db()
    assert person.residence_orgunit_id == VILLAGE_A2
    away = services.event_submit(
        kind="move_out",
        person=person,
        orgunit=village(VILLAGE_A2),
        effective_date=datetime.date(2024, 5, 1),
        source="village",
        actor="test",
        payload={"to_region": "110105"},
    )
    services.event_apply(event=away, actor="test")
    person.refresh_from_db()
    assert person.residence_orgunit_id is None and person.residence_region == "110105"
    assert registry_rebuild(fix=False, actor="test").differences == []


def test_rejected_event_cannot_be_applied(county: None) -> None:
    person = Person.objects.get(person_ref="P1")
    event = services.event_submit(
        kind="divorce",
        person=person,
        orgunit=village(),
        effective_date=datetime.date(2024, 1, 2),
        source="village",
        actor="test",
    )
    with pytest.raises(EventRefused):
        services.event_reject(event=event, actor="test", reason="  ")
    services.event_reject(event=event, actor="test", reason="重复上报")
    event.refresh_from_db()
    assert event.status == "rejected" and event.reject_reason == "重复上报"
    with pytest.raises(EventRefused) as caught:
        services.event_apply(event=event, actor="test")
    assert caught.value.problems[0].code == "bad_status"
    person.refresh_from_db()
    assert person.marital_status == "married"


def test_correction_is_an_event_and_stale_forms_are_refused(county: None) -> None:
    person = Person.objects.get(person_ref="P1")
    seen_version = person.version
    services.person_correct(
        person=person,
        changes={"name": "张玮"},
        actor="test",
        reason="户口本为玮",
        expected_version=seen_version,
    )
    person.refresh_from_db()
    assert person.name == "张玮" and person.version == seen_version + 1
    audit = AuditLog.objects.filter(action="person.update", object_id=str(person.pk)).get()
    assert audit.before == {"name": "张伟"} and audit.after == {"name": "张玮"}
    with pytest.raises(EventRefused) as caught:
        services.person_correct(
            person=person,
            changes={"name": "张卫"},
            actor="test",
            reason="x",
            expected_version=seen_version,
        )
    assert caught.value.problems[0].code == "stale"
    assert registry_rebuild(fix=False, actor="test").differences == []


def test_resubmitting_the_same_report_is_idempotent(county: None) -> None:
    person = Person.objects.get(person_ref="P1")
    kwargs = dict(
        kind="death",
        person=person,
        orgunit=village(),
        source="village",
        actor="test",
        effective_date=datetime.date(2024, 1, 2),
        external_ref="form-123",
    )
    first = services.event_submit(**kwargs)
    again = services.event_submit(**kwargs)
    assert again.pk == first.pk
    assert Event.objects.filter(external_ref="form-123").count() == 1
    with pytest.raises(EventRefused) as caught:
        services.event_submit(**{**kwargs, "effective_date": datetime.date(2024, 1, 3)})
    assert caught.value.problems[0].code == "conflict"


def test_bad_birth_reports_are_refused_with_reasons(county: None) -> None:
    mother = Person.objects.get(person_ref="P2")
    with pytest.raises(EventRefused) as caught:
        services.birth_submit(
            name="错号",
            sex="F",
            birth_date=datetime.date(2024, 8, 8),
            orgunit=village(),
            actor="test",
            mother=mother,
            id_number=id_number("2024-08-08", 23),
        )  # odd = male
    assert [p.code for p in caught.value.problems] == ["id_mismatch"]
    future = datetime.date.today() + datetime.timedelta(days=3)
    with pytest.raises(EventRefused) as caught:
        services.birth_submit(
            name="未来", sex="F", birth_date=future, orgunit=village(), actor="test", mother=mother
        )
    assert "future_date" in [p.code for p in caught.value.problems]
    township = OrgUnit.objects.get(code=VILLAGE_A1[:9])
    with pytest.raises(EventRefused) as caught:
        services.birth_submit(
            name="乡级",
            sex="F",
            birth_date=datetime.date(2024, 8, 8),
            orgunit=township,
            actor="test",
            mother=mother,
        )
    assert [p.code for p in caught.value.problems] == ["not_leaf"]
    assert Event.objects.filter(kind="birth", historic=False).count() == 0
