"""Widowhood (丧偶): the spouse's death ends the marriage through an event the fold replays."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.folding import fold_event
from renkou.registry.models import Event, Person
from renkou.registry.rebuild import registry_rebuild
from tests.builders import VILLAGE_A1, client_as

pytestmark = pytest.mark.django_db

# In the small county P1 (张伟) and P2 (李丽) married on 2019-10-01: a historic event of
# P1's naming P2; P2 has no marriage event of her own. P5 (王芳) is single.


def apply(kind: str, ref: str, day: str, **payload: object) -> Event:
    event = services.event_submit(
        kind=kind,
        person=Person.objects.get(person_ref=ref),
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        effective_date=datetime.date.fromisoformat(day),
        report_date=datetime.date.fromisoformat(day) + datetime.timedelta(days=3),
        source="village",
        actor="test",
        payload=payload,
    )
    return services.event_apply(event=event, actor="test")


def pk(ref: str) -> int:
    return Person.objects.get(person_ref=ref).pk


def widowhoods() -> list[Event]:
    return list(Event.objects.filter(kind="widowhood").order_by("id"))


def test_the_husbands_death_widows_the_wife_and_rebuild_agrees(county: None) -> None:
    death = apply("death", "P1", "2024-03-10")
    [widowhood] = widowhoods()
    wife = Person.objects.get(person_ref="P2")
    assert widowhood.person == wife and widowhood.status == "applied"
    # dated the day of the death: married through 10 March, widowed from 11 March
    assert widowhood.effective_date == datetime.date(2024, 3, 10)
    assert widowhood.report_date == death.report_date and widowhood.source == "village"
    assert widowhood.payload == {"spouse_id": pk("P1"), "death_event_id": death.pk}
    assert widowhood.applied_seq > death.applied_seq and not widowhood.historic
    assert wife.marital_status == "widowed" and wife.status == "alive"
    with translation.override("zh-hans"):
        assert widowhood.get_kind_display() == "丧偶"
    with translation.override("en"):
        assert widowhood.get_kind_display() == "Widowed"
    actions = list(
        AuditLog.objects.filter(object_type="event", object_id=str(widowhood.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["event.submit", "event.apply"]
    assert registry_rebuild(fix=False, actor="test").differences == []


def test_the_wifes_death_widows_the_husband_named_by_his_own_marriage(county: None) -> None:
    apply("death", "P2", "2024-05-01")
    [widowhood] = widowhoods()
    assert widowhood.person.person_ref == "P1"
    assert Person.objects.get(person_ref="P1").marital_status == "widowed"
    # the survivor's later death widows nobody: the first to die is no longer alive
    apply("death", "P1", "2025-01-02")
    assert len(widowhoods()) == 1
    assert registry_rebuild(fix=False, actor="test").differences == []


def test_a_divorced_ex_spouse_is_not_widowed(county: None) -> None:
    apply("divorce", "P1", "2022-02-02", spouse_id=pk("P2"))
    apply("death", "P1", "2024-03-10")
    assert widowhoods() == []
    # P2's own record still says married (her side of the divorce was never reported), yet
    # the divorce on P1's side separated them
    assert Person.objects.get(person_ref="P2").marital_status == "married"
    assert registry_rebuild(fix=False, actor="test").differences == []


def test_only_the_latest_spouse_is_widowed(county: None) -> None:
    apply("divorce", "P1", "2022-02-02", spouse_id=pk("P2"))
    apply("marriage", "P1", "2023-06-06", spouse_id=pk("P5"))
    apply("marriage", "P5", "2023-06-06", spouse_id=pk("P1"))
    apply("death", "P1", "2024-03-10")
    assert [w.person.person_ref for w in widowhoods()] == ["P5"]
    assert Person.objects.get(person_ref="P5").marital_status == "widowed"
    assert Person.objects.get(person_ref="P2").marital_status == "married"


def test_a_widower_may_marry_again_without_a_warning(county: None) -> None:
    apply("death", "P2", "2023-01-05")
    # without the widowhood this second marriage would raise Q-MAR-TWICE (a warning, which
    # needs a reason to apply)
    marriage = apply("marriage", "P1", "2024-09-09", spouse_id=pk("P5"))
    assert marriage.status == "applied"
    assert Person.objects.get(person_ref="P1").marital_status == "married"
    assert registry_rebuild(fix=False, actor="test").differences == []


def test_the_fold_sets_widowed() -> None:
    state = fold_event(None, "enrol", "2020-01-01", {"state": {"marital_status": "married"}})
    assert fold_event(state, "widowhood", "2024-01-01", {"spouse_id": 1})["marital_status"] == (
        "widowed"
    )


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "丧偶"), ("en", "Widowed")])
def test_event_pages_show_the_widowhood(county: None, language: str, label: str) -> None:
    apply("death", "P1", "2024-03-10")
    [widowhood] = widowhoods()
    client = client_as("reporter", VILLAGE_A1)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    timeline = client.get(f"/persons/{widowhood.person_id}/", **headers).content.decode()
    assert f"<strong>{label}</strong>" in timeline
    detail = client.get(f"/changes/{widowhood.pk}/", **headers)
    assert detail.status_code == 200
    assert f"<title>{label}" in detail.content.decode()
