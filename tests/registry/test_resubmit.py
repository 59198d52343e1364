"""Resubmission: a rejected report corrected by its reporter and submitted again, with the
history of both versions; the review page shows everything the reporter chose."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from renkou.core import crypto
from renkou.notifications.models import Notification, Verb
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Event, Person
from renkou.registry.validation import EventRefused
from tests.builders import TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2, id_number, login_as, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(county: None) -> dict[str, Any]:
    return {
        "reporter": user_with_role("rep-a1", "reporter", VILLAGE_A1),
        "neighbour": user_with_role("rep-a1b", "reporter", VILLAGE_A1),
        "stat": user_with_role("stat-a", "statistician", TOWNSHIP_A),
        "mother": Person.objects.get(person_ref="P2"),
        "father": Person.objects.get(person_ref="P1"),
    }


def signed_in(user: Any) -> Client:
    return login_as(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), user)


def form_data(page: Any) -> dict[str, Any]:
    """What the browser would send back of a change form as shown (its initial values)."""
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    return data


def file_birth(client: Client, mother: Person, father: Person, name: str = "张小花") -> Event:
    form = client.get("/changes/new/birth/").context["form"]
    response = client.post(
        "/changes/new/birth/",
        {
            "token": form["token"].initial,
            "village": VILLAGE_A1,
            "effective_date": "2025-05-01",
            "name": name,
            "sex": "F",
            "id_number": "",
            "mother": mother.pk,
            "father": father.pk,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    return Event.objects.get(pk=response["Location"].split("/")[-2])


def test_a_rejected_birth_is_corrected_and_submitted_again(people: dict[str, Any]) -> None:
    reporter = signed_in(people["reporter"])
    earlier = file_birth(reporter, people["mother"], people["father"], name="张小华")
    services.event_reject(event=earlier, actor=people["stat"], reason="名字写错了")

    page = reporter.get(f"/changes/{earlier.pk}/").content.decode()
    assert f'href="/changes/{earlier.pk}/resubmit/"' in page and "名字写错了" in page
    form_page = reporter.get(f"/changes/{earlier.pk}/resubmit/")
    data = form_data(form_page)
    # the form opens with what was reported: name, sex, date, village, parents
    assert (data["name"], data["sex"], str(data["effective_date"])) == ("张小华", "F", "2025-05-01")
    assert (data["village"], data["mother"], data["father"]) == (
        VILLAGE_A1,
        people["mother"].pk,
        people["father"].pk,
    )
    assert "名字写错了" in form_page.content.decode()
    data["name"] = "张小花"
    response = reporter.post(f"/changes/{earlier.pk}/resubmit/", data)
    assert response.status_code == 302
    later = Event.objects.get(replaces=earlier)
    assert response["Location"] == f"/changes/{later.pk}/"
    assert later.status == "submitted" and later.payload["state"]["name"] == "张小花"
    assert later.payload["state"]["mother_id"] == people["mother"].pk
    earlier.refresh_from_db()
    assert earlier.status == "rejected" and earlier.reject_reason == "名字写错了"
    # the new version shows the earlier one with its reason; the earlier one links forward
    shown = reporter.get(f"/changes/{later.pk}/")
    assert [v.pk for v in shown.context["versions"]] == [earlier.pk]
    assert "以前的版本" in shown.content.decode() and "名字写错了" in shown.content.decode()
    back = reporter.get(f"/changes/{earlier.pk}/")
    assert back.context["replaced_by"].pk == later.pk and not back.context["may_resubmit"]
    # opening the earlier one's form again leads to the new version
    again = reporter.get(f"/changes/{earlier.pk}/resubmit/")
    assert again.status_code == 302 and again["Location"] == f"/changes/{later.pk}/"
    # the statistician is told it is a corrected report
    assert Notification.objects.filter(
        recipient=people["stat"], verb=Verb.RESUBMITTED, object_id=str(later.pk)
    ).exists()


def test_the_same_resubmission_posted_twice_files_one_version(people: dict[str, Any]) -> None:
    reporter = signed_in(people["reporter"])
    earlier = file_birth(reporter, people["mother"], people["father"])
    services.event_reject(event=earlier, actor=people["stat"], reason="日期有误")
    data = form_data(reporter.get(f"/changes/{earlier.pk}/resubmit/"))
    data["effective_date"] = "2025-05-02"
    first = reporter.post(f"/changes/{earlier.pk}/resubmit/", data)
    second = reporter.post(f"/changes/{earlier.pk}/resubmit/", data)
    assert first.status_code == second.status_code == 302
    assert Event.objects.filter(replaces=earlier).count() == 1
    assert Notification.objects.filter(recipient=people["stat"], verb=Verb.RESUBMITTED).count() == 1


def test_only_the_reporter_resubmits_and_only_a_rejected_report(people: dict[str, Any]) -> None:
    reporter = signed_in(people["reporter"])
    pending = file_birth(reporter, people["mother"], people["father"])
    assert reporter.get(f"/changes/{pending.pk}/resubmit/").status_code == 404
    services.event_reject(event=pending, actor=people["stat"], reason="重复")
    assert signed_in(people["neighbour"]).get(f"/changes/{pending.pk}/resubmit/").status_code == 403
    assert signed_in(people["stat"]).get(f"/changes/{pending.pk}/resubmit/").status_code == 403
    other_village = user_with_role("rep-a2", "reporter", VILLAGE_A2)
    assert signed_in(other_village).get(f"/changes/{pending.pk}/resubmit/").status_code == 404
    # the service refuses a second correction of the same version, and someone else's
    kwargs = {
        "name": "张小花",
        "sex": "F",
        "birth_date": datetime.date(2025, 5, 1),
        "orgunit": OrgUnit.objects.get(code=VILLAGE_A1),
        "replaces": pending,
    }
    with pytest.raises(PermissionError):
        services.birth_submit(actor=people["neighbour"], **kwargs)
    services.birth_submit(actor=people["reporter"], **kwargs)
    with pytest.raises(EventRefused) as refused:
        services.birth_submit(actor=people["reporter"], **kwargs)
    assert refused.value.problems[0].code == "resubmitted"


def test_a_stale_resubmission_is_refused(people: dict[str, Any]) -> None:
    reporter = signed_in(people["reporter"])
    father = people["father"]
    form = reporter.get("/changes/new/move_out/").context["form"]
    reporter.post(
        "/changes/new/move_out/",
        {
            "token": form["token"].initial,
            "person": f"{father.pk}@{father.version}",
            "village": VILLAGE_A1,
            "effective_date": "2025-06-01",
            "destination": "410102",
        },
    )
    earlier = Event.objects.get(kind="move_out", person=father)
    services.event_reject(event=earlier, actor=people["stat"], reason="去向不对")
    data = form_data(reporter.get(f"/changes/{earlier.pk}/resubmit/"))
    assert data["destination"] == "410102" and data["person"] == f"{father.pk}@{father.version}"
    # meanwhile the township corrects the person
    services.person_correct(
        person=father, changes={"ethnicity": "02"}, actor=people["stat"], reason="户口本"
    )
    data["destination"] = VILLAGE_A2
    response = reporter.post(f"/changes/{earlier.pk}/resubmit/", data)
    assert response.status_code == 200
    assert "该人员信息在您打开表单后已被修改" in response.content.decode()
    assert not Event.objects.filter(replaces=earlier).exists()


def test_the_review_page_shows_the_parents_with_masked_numbers(people: dict[str, Any]) -> None:
    reporter = signed_in(people["reporter"])
    event = file_birth(reporter, people["mother"], people["father"])
    page = signed_in(people["stat"]).get(f"/changes/{event.pk}/").content.decode()
    mother_number = id_number("1992-07-20", 22)
    father_number = id_number("1990-03-05", 11)
    for name, number in (("李丽", mother_number), ("张伟", father_number)):
        assert name in page
        assert crypto.mask_id_number(number) in page
        assert number not in page  # never the plain number
    assert "母亲" in page and "父亲" in page


def test_the_review_page_shows_destination_spouse_and_corrected_field(
    people: dict[str, Any],
) -> None:
    father, mother = people["father"], people["mother"]
    a1 = OrgUnit.objects.get(code=VILLAGE_A1)
    common = {"orgunit": a1, "source": "village", "actor": people["reporter"]}
    move = services.event_submit(
        kind="move_out",
        person=father,
        effective_date=datetime.date(2025, 6, 1),
        payload={"to_orgunit": VILLAGE_A2},
        **common,
    )
    divorce = services.event_submit(
        kind="divorce",
        person=mother,
        effective_date=datetime.date(2025, 6, 1),
        payload={"spouse_id": father.pk},
        **common,
    )
    correction = services.event_submit(
        kind="correction",
        person=mother,
        effective_date=datetime.date(2025, 6, 1),
        payload={"set": {"name": "李莉"}, "reason": "身份证上的写法"},
        **common,
    )
    stat = signed_in(people["stat"])
    moved = stat.get(f"/changes/{move.pk}/").content.decode()
    assert "迁往" in moved
    assert "西村" in moved and VILLAGE_A2 in moved
    divorced = stat.get(f"/changes/{divorce.pk}/")
    assert ("配偶", father) in [(str(k), v) for k, v in divorced.context["chosen"]]
    assert crypto.mask_id_number(id_number("1990-03-05", 11)) in divorced.content.decode()
    corrected = stat.get(f"/changes/{correction.pk}/")
    # the field by its name, the value as it stands and the value asked for
    html = corrected.content.decode()
    row = html.split('<dd class="corrected">', 1)[1].split("</dd>", 1)[0]
    assert html.split('<dd class="corrected">', 1)[0].rstrip().endswith("<dt>姓名</dt>")
    assert row == '<span class="before">李丽</span> → 李莉'
    assert "身份证上的写法" in html
