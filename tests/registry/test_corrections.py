"""Corrections (更正) of every field through the change form, with their refusals; the
finding's "correct" button; a village that did not exist at an event's date."""

from __future__ import annotations

import datetime
import itertools
import json
from typing import Any

import pytest
from django.utils import timezone

from renkou.core import crypto
from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.quality.corrections import CORRECTION_OF_RULE_FIELD, correction_field
from renkou.quality.models import Finding
from renkou.quality.rules import RULES
from renkou.registry import services
from renkou.registry.forms import CORRECTABLE
from renkou.registry.models import Event, Person
from renkou.registry.validation import EventRefused, validate_event
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    VILLAGE_A1,
    VILLAGE_A2,
    client_as,
    id_number,
)

pytestmark = pytest.mark.django_db
_tokens = itertools.count()


@pytest.fixture
def reporter(county: None) -> Any:
    return client_as("reporter", VILLAGE_A1, "cun")


def p(ref: str) -> Person:
    return Person.objects.get(person_ref=ref)


def correct(client: Any, person: Person, field: str, **inputs: str) -> Any:
    """Post the correction form of ``field`` for ``person`` as the village would."""
    data = {
        "token": f"corr-{next(_tokens)}",
        "village": VILLAGE_A1,
        "effective_date": timezone.localdate().isoformat(),
        "person": f"{person.pk}@{person.version}",
        "field": field,
        "reason": "户口本",
        **inputs,
    }
    return client.post("/changes/new/correction/", data)


def applied(response: Any) -> Person:
    """The correction the response filed, applied; the person after it."""
    assert response.status_code == 302, _errors(response)
    event = Event.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert event.kind == "correction" and event.status == "submitted"
    services.event_apply(event=event, actor="test", warnings_reason="checked")
    return Person.objects.get(pk=event.person_id)


def _errors(response: Any) -> str:
    form = response.context["form"] if response.context else None
    return json.dumps(form.errors if form else {}, ensure_ascii=False)


def refused(response: Any, text_zh: str) -> None:
    """The form came back with ``text_zh`` among its errors, and nothing was filed."""
    assert response.status_code == 200
    assert text_zh in _errors(response), _errors(response)
    assert not Event.objects.filter(kind="correction", status="submitted").exists()


def test_name_corrected_version_bumped_and_audited(reporter: Any) -> None:
    wei = p("P1")
    after = applied(correct(reporter, wei, "name", new_name="张玮"))
    assert after.name == "张玮" and after.version == wei.version + 1
    audit = AuditLog.objects.filter(action="person.update", object_id=str(wei.pk)).get()
    assert audit.before == {"name": "张伟"} and audit.after == {"name": "张玮"}
    event = Event.objects.get(kind="correction")
    assert event.payload["reason"] == "户口本" and event.payload["field"] == "name"


def test_ethnicity_and_its_refusals(reporter: Any) -> None:
    refused(correct(reporter, p("P1"), "ethnicity", ethnicity="99"), "民族代码 99 无效")
    refused(correct(reporter, p("P1"), "ethnicity", ethnicity="01"), "已经是 01")
    refused(correct(reporter, p("P1"), "ethnicity", ethnicity="2"), "2 位民族代码")
    assert applied(correct(reporter, p("P1"), "ethnicity", ethnicity="02")).ethnicity == "02"


def test_identity_number_is_stored_protected(reporter: Any) -> None:
    new = id_number("1990-03-05", 13)
    after = applied(correct(reporter, p("P1"), "id_number", new_id_number=new))
    protector = crypto.default_protector()
    assert after.id_number_hash == protector.blind_index(new)
    assert crypto.decrypt(after.id_number_enc) == new
    assert after.id_number_masked == crypto.mask_id_number(new) != new
    event = Event.objects.get(kind="correction")
    stored = json.dumps(event.payload) + json.dumps(
        list(AuditLog.objects.values_list("before", "after")), default=str
    )
    assert new not in stored  # never in clear


def test_identity_number_refusals(reporter: Any) -> None:
    wei = p("P1")
    good = id_number("1990-03-05", 13)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    refused(correct(reporter, wei, "id_number", new_id_number=bad_check), "身份证号无效")
    other_day = id_number("1991-04-06", 13)
    refused(correct(reporter, wei, "id_number", new_id_number=other_day), "身份证号与出生日期不符")
    female = id_number("1990-03-05", 14)
    refused(correct(reporter, wei, "id_number", new_id_number=female), "身份证号与性别不符")
    li = id_number("1992-07-20", 22)  # 李丽's
    refused(
        correct(reporter, wei, "id_number", new_id_number=li, with_id_facts="on"),
        "已属于登记中的另一人",
    )
    refused(
        correct(reporter, wei, "id_number", new_id_number=id_number("1990-03-05", 11)),
        "无需更正",
    )


def test_identity_number_corrects_birth_date_and_sex_with_it(reporter: Any) -> None:
    number = id_number("1990-04-05", 12)  # another day, and female
    after = applied(
        correct(reporter, p("P1"), "id_number", new_id_number=number, with_id_facts="on")
    )
    assert after.birth_date == datetime.date(1990, 4, 5) and after.sex == "F"
    assert crypto.decrypt(after.id_number_enc) == number


def _without_id(ref: str) -> Person:
    Person.objects.filter(person_ref=ref).update(
        id_number_hash="", id_number_enc="", id_number_masked=""
    )
    return p(ref)


def test_birth_date_agrees_with_the_identity_number_and_the_mother(reporter: Any) -> None:
    refused(
        correct(reporter, p("P1"), "birth_date", new_birth_date="1990-03-06"),
        "身份证号与出生日期不符",
    )
    child = _without_id("P3")
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    refused(correct(reporter, child, "birth_date", new_birth_date=tomorrow), "晚于今天")
    # the mother (born 1992-07-20) would have been two years old
    refused(correct(reporter, child, "birth_date", new_birth_date="1995-01-01"), "更正后会出现错误")
    after = applied(correct(reporter, child, "birth_date", new_birth_date="2021-02-01"))
    assert after.birth_date == datetime.date(2021, 2, 1)


def test_sex_agrees_with_the_identity_number(reporter: Any) -> None:
    refused(correct(reporter, p("P1"), "sex", new_sex="F"), "身份证号与性别不符")
    assert applied(correct(reporter, _without_id("P3"), "sex", new_sex="F")).sex == "F"


def test_parents_chosen_from_the_register_or_unlinked(reporter: Any) -> None:
    child = p("P3")
    refused(correct(reporter, child, "mother", mother=str(p("P1").pk)), "不能是此人的母亲")
    refused(correct(reporter, child, "father", father=str(p("P2").pk)), "不能是此人的父亲")
    refused(correct(reporter, child, "mother"), "请从搜索结果中选择")
    after = applied(correct(reporter, child, "mother", mother=str(p("P5").pk)))
    assert after.mother_id == p("P5").pk
    after = applied(correct(reporter, after, "father", unlink="on"))
    assert after.father_id is None


def test_registration_type_and_place(reporter: Any) -> None:
    assert (
        applied(correct(reporter, p("P1"), "hukou_type", hukou_type="urban")).hukou_type == "urban"
    )
    refused(correct(reporter, p("P1"), "hukou_place", hukou_place="999999"), "户籍地 999999 无效")
    refused(correct(reporter, p("P1"), "hukou_place", hukou_place=VILLAGE_A1), "无需更正")
    after = applied(correct(reporter, p("P1"), "hukou_place", hukou_place=VILLAGE_A2))
    assert after.hukou_orgunit_id == VILLAGE_A2 and after.hukou_region == ""
    after = applied(correct(reporter, after, "hukou_place", hukou_place="410102"))
    assert after.hukou_orgunit_id is None and after.hukou_region == "410102"


def test_a_reason_is_needed_and_a_double_submit_files_once(reporter: Any) -> None:
    response = correct(reporter, p("P1"), "name", new_name="张玮", reason="")
    refused(response, "")
    assert "reason" in response.context["form"].errors
    data = {
        "token": "same",
        "village": VILLAGE_A1,
        "effective_date": timezone.localdate().isoformat(),
        "person": f"{p('P1').pk}@{p('P1').version}",
        "field": "name",
        "new_name": "张玮",
        "reason": "户口本",
    }
    assert reporter.post("/changes/new/correction/", data).status_code == 302
    assert reporter.post("/changes/new/correction/", data).status_code == 302
    assert Event.objects.filter(kind="correction").count() == 1


def test_the_form_shows_the_chosen_field_only(reporter: Any) -> None:
    wei = p("P1")
    page = reporter.get(f"/changes/new/correction/?person={wei.pk}&field=birth_date")
    form = page.context["form"]
    assert "new_birth_date" in form.fields and "new_name" not in form.fields
    assert form.initial["person"] == f"{wei.pk}@{wei.version}"
    html = page.content.decode()
    assert '<input type="hidden" name="field" value="birth_date"' in html
    assert 'name="new_birth_date"' in html and 'name="new_name"' not in html
    links = dict((code, query) for code, _label, query, _current in form.field_links())
    assert set(links) == {code for code, _label in CORRECTABLE}
    assert f"person={wei.pk}" in links["mother"]
    mother = reporter.get(f"/changes/new/correction/?{links['mother']}")
    assert 'name="mother_q"' in mother.content.decode()


def test_every_rule_opens_the_field_it_is_about() -> None:
    for rule in RULES:
        field = correction_field(rule.code)
        fields = [f for f in rule.fields if f in CORRECTION_OF_RULE_FIELD]
        assert field == (CORRECTION_OF_RULE_FIELD[fields[0]] if fields else None), rule.code
    assert correction_field("Q-ID-CHECKSUM") == "id_number"
    assert correction_field("Q-FAM-MOTHER-AGE") == "mother"
    assert correction_field("Q-HUKOU-MISSING") == "hukou_place"
    assert correction_field("Q-REQ-ETHNICITY") == "ethnicity"
    assert correction_field("Q-EVENT-AFTER-DEATH") is None
    assert set(CORRECTION_OF_RULE_FIELD.values()) == {code for code, _label in CORRECTABLE}


def test_the_findings_correct_button_opens_the_field_and_the_village(county: None) -> None:
    grandma_a2 = Person.objects.create(
        name="西村人",
        sex="F",
        birth_date=datetime.date(1980, 1, 1),
        residence_orgunit_id=VILLAGE_A2,
        hukou_orgunit_id=VILLAGE_A2,
    )
    now = timezone.now()
    Finding.objects.create(
        person=grandma_a2, rule="Q-REQ-ETHNICITY", severity="warning", unit=VILLAGE_A2, found_at=now
    )
    Finding.objects.create(
        person=p("P1"), rule="Q-EVENT-AFTER-DEATH", severity="error", unit=VILLAGE_A1, found_at=now
    )
    admin = client_as("county_admin", COUNTY, "xian")
    html = admin.get("/quality/findings/").content.decode()
    href = (
        f"/changes/new/correction/?person={grandma_a2.pk}&amp;field=ethnicity"
        f"&amp;village={VILLAGE_A2}"
    )
    assert href in html
    assert html.count('class="button correct"') == 1  # no correction for a death date
    form = admin.get(href.replace("&amp;", "&")).context["form"]
    assert "ethnicity" in form.fields and form.initial["village"] == VILLAGE_A2
    assert form.initial["person"] == f"{grandma_a2.pk}@{grandma_a2.version}"


def test_a_village_before_it_existed_says_so(county: None) -> None:
    OrgUnit.objects.filter(code=VILLAGE_A2).update(
        valid_from=datetime.date(2024, 1, 1), valid_to=datetime.date(2025, 3, 31)
    )
    a2 = OrgUnit.objects.get(code=VILLAGE_A2)
    common = dict(kind="death", person=p("P1"), orgunit=a2, payload={})
    with pytest.raises(EventRefused) as caught:
        validate_event(
            effective_date=datetime.date(2023, 5, 1),
            report_date=datetime.date(2023, 5, 2),
            **common,
        )
    [problem] = caught.value.problems
    assert problem.code == "orgunit_not_yet"
    assert problem.message_zh == f"西村（{VILLAGE_A2}）在 2023-05-01 尚未设立（2024-01-01 起设立）"
    assert problem.message_en == (
        f"西村 ({VILLAGE_A2}) did not exist yet on 2023-05-01 (it exists from 2024-01-01)"
    )
    assert "不存在" not in problem.message_zh.split("尚未")[0]
    with pytest.raises(EventRefused) as caught:
        validate_event(
            effective_date=datetime.date(2025, 4, 1),
            report_date=datetime.date(2025, 4, 2),
            **common,
        )
    assert caught.value.problems[0].code == "orgunit_closed"
    assert "closed on 2025-03-31" in caught.value.problems[0].message_en
    assert "2025-03-31 撤销" in caught.value.problems[0].message_zh
    # on the form, the message is the reporter's (a village of today, set up in 2024)
    OrgUnit.objects.filter(code=VILLAGE_A2).update(valid_to=None)
    client = client_as("statistician", TOWNSHIP_A, "zhen")
    response = client.post(
        "/changes/new/death/",
        {
            "token": "d1",
            "village": VILLAGE_A2,
            "effective_date": "2023-05-01",
            "person": f"{p('P1').pk}@{p('P1').version}",
        },
    )
    assert "尚未设立" in response.content.decode()


def test_the_api_corrects_any_field_with_value(county: None) -> None:
    from tests.builders import api_client, user_with_role

    client = api_client(user_with_role("cun-api", "reporter", VILLAGE_A1))
    wei = p("P1")
    body = {
        "kind": "correction",
        "client_ref": "api-corr-0001",
        "village": VILLAGE_A1,
        "effective_date": timezone.localdate().isoformat(),
        "person": wei.pk,
        "person_version": wei.version,
        "field": "hukou_type",
        "value": "urban",
        "reason": "户口本",
    }
    response = client.post("/api/changes/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    event = Event.objects.get(kind="correction")
    assert event.payload["set"] == {"hukou_type": "urban"}
    bad = {**body, "client_ref": "api-corr-0002", "field": "sex", "value": "F"}
    response = client.post("/api/changes/", data=json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert "does not agree with the sex" in response.content.decode()


def test_the_review_page_shows_the_correction_masked(reporter: Any) -> None:
    new = id_number("1990-03-05", 13)
    response = correct(reporter, p("P1"), "id_number", new_id_number=new)
    event = Event.objects.get(kind="correction")
    html = client_as("statistician", TOWNSHIP_A, "zhen").get(f"/changes/{event.pk}/").content
    html = html.decode()
    assert response.status_code == 302
    assert crypto.mask_id_number(new) in html and "公民身份号码" in html
    assert new not in html and event.payload["set"]["id_number_enc"] not in html
    assert event.payload["set"]["id_number_hash"] not in html and "户口本" in html
