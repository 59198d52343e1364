"""Worklist actions that work (issue 17, item 5): every action the worklist offers succeeds
on its row, an action the register would refuse is not offered, and each value says which
side (register / roster) it comes from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from renkou.core.models import AuditLog
from renkou.exchange.models import Decision, Outcome, RosterImport
from renkou.exchange.worklist import correctable_fields
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, client_as, id_number
from tests.exchange.test_linking import _csv, _linked

P1 = id_number("1990-03-05", 11)  # 张伟, M, alive
P2 = id_number("1992-07-20", 22)  # 李丽, F


def _import(tmp_path: Path, kind: str, rows: list[list[str]]) -> RosterImport:
    return _linked(_csv(tmp_path / f"{kind}.csv", rows), kind)


def _offered(page: str, row_pk: int) -> set[str]:
    """The actions offered for one row on the worklist page (by their form's address)."""
    card = page.split(f'id="row-{row_pk}"', 1)[1].split('<li class="card', 1)[0]
    return set(re.findall(rf"/exchange/rows/{row_pk}/(\w+)/", card))


@pytest.fixture
def statistician(county: None) -> Any:
    return client_as("statistician", TOWNSHIP_A, "stat-a")


@pytest.mark.django_db
def test_a_correction_the_register_would_refuse_is_not_offered(statistician, tmp_path) -> None:
    # 张玮 for 张伟 and a birth date the register's identity number contradicts.
    imp = _import(
        tmp_path,
        "police_register",
        [["姓名", "性别", "出生日期", "公民身份号码"], ["张玮", "男", "1990-05-03", P1]],
    )
    row = imp.rows.get()
    assert row.outcome == Outcome.CONFLICTS
    assert set(row.evidence["conflicts"]) == {"name", "birth_date"}
    person = Person.objects.get(person_ref="P1")
    assert correctable_fields(row, person) == [("name", "张玮", "张伟")]
    page = statistician.get(f"/exchange/imports/{imp.pk}/worklist/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert _offered(text, row.pk) == {"confirm", "correct", "dismiss"}
    assert 'value="name"' in text and 'value="birth_date"' not in text
    assert "register 张伟 → roster 张玮" in text
    zh = statistician.get(f"/exchange/imports/{imp.pk}/worklist/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "人口库 张伟 → 名册 张玮" in zh.content.decode()

    # Asked for anyway, the birth date is refused, naming each side's value; nothing changes.
    refused = statistician.post(
        f"/exchange/rows/{row.pk}/correct/", {"field": "birth_date"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 302
    message = statistician.get(refused["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "roster: 1990-05-03; register: 1990-03-05" in message
    person.refresh_from_db()
    assert person.birth_date.isoformat() == "1990-03-05"
    row.refresh_from_db()
    assert row.decision == ""

    # What is offered succeeds.
    statistician.post(f"/exchange/rows/{row.pk}/correct/", {"field": "name"})
    person.refresh_from_db()
    row.refresh_from_db()
    assert person.name == "张玮" and row.decision == Decision.CORRECTED
    assert AuditLog.objects.filter(
        action="exchange.worklist.corrected", object_id=str(row.pk)
    ).exists()


@pytest.mark.django_db
def test_every_offered_action_succeeds(statistician, tmp_path) -> None:
    imp = _import(
        tmp_path,
        "hospital_deaths",
        [
            ["姓名", "身份证号", "性别", "死亡日期"],
            ["张伟", P1, "男", "2025-06-01"],  # alive in the register: a death not reported
            ["李丽", P2, "女", "2025-06-02"],
            ["陌生人", id_number("1980-08-08", 81), "男", "2025-06-02"],
            ["张伟", P1, "男", "1989-01-01"],  # a death before his birth: the register refuses
        ],
    )
    rows = {r.row_number: r for r in imp.rows.all()}
    page = statistician.get(f"/exchange/imports/{imp.pk}/worklist/?outcome=").content.decode()
    offered = {n: _offered(page, r.pk) for n, r in rows.items() if f'id="row-{r.pk}"' in page}
    assert offered[2] == {"confirm", "report", "dismiss"}
    assert offered[4] == {"dismiss"}
    assert offered[5] == {"confirm", "dismiss"}  # no report the register would refuse
    # Each offered action, on the row as it was offered (undecided again): each succeeds.
    for number, names in offered.items():
        for action in sorted(names):
            row = rows[number]
            imp.rows.update(decision="", event=None)
            Event.objects.filter(external_ref__startswith=f"roster:{imp.pk}:").delete()
            data = {"reason": "外县人员"} if action == "dismiss" else {}
            response = statistician.post(f"/exchange/rows/{row.pk}/{action}/", data)
            assert response.status_code == 302, (number, action)
            row.refresh_from_db()
            assert row.decision, (number, action)


@pytest.mark.django_db
def test_a_month_only_birth_date_is_never_offered_as_a_correction(statistician, tmp_path) -> None:
    """出生年月 1990.03 for a person registered as born 1990-03-05 (no identity number in the
    register, so the register would accept any date): the roster does not know the day, so
    the birth date is not offered, and asked for anyway it is refused."""
    from renkou.exchange.worklist import worklist_correct
    from renkou.registry.validation import EventRefused

    Person.objects.filter(person_ref="P1").update(
        id_number_hash="", id_number_enc="", id_number_masked=""
    )
    imp = _import(
        tmp_path,
        "police_register",
        [["姓名", "性别", "出生年月", "公民身份号码"], ["张伟", "男", "1990.03", ""]],
    )
    row = imp.rows.get()
    assert row.values["birth_date_month_only"] is True
    person = Person.objects.get(person_ref="P1")
    # In a five-person register a row without a number is only a weak candidate: matched
    # here by hand, with the birth date in conflict, as the worklist would show it.
    row.person = person
    row.evidence = {"conflicts": {"birth_date": "1990-03-05"}}
    row.save(update_fields=["person", "evidence"])
    assert all(field != "birth_date" for field, *_ in correctable_fields(row, person))
    with pytest.raises(EventRefused):
        worklist_correct(row=row, actor="test", fields=["birth_date"])
    person.refresh_from_db()
    assert person.birth_date.isoformat() == "1990-03-05"


@pytest.mark.django_db
def test_a_month_only_birth_date_is_shown_as_the_month_the_roster_gave(
    statistician, tmp_path
) -> None:
    """出生年月 1990.03 beside 张伟's own number (registered born 1990-03-05): matched by the
    number, the page shows the roster's date as 1990-03 with the day unknown (not as the 1st
    it is stored as, nor the internal flag beside it), and the evidence says the year and
    month agree, not that the date is the same. A month that disagrees (1990.04) is a
    conflict shown as the roster's month."""
    imp = _import(
        tmp_path,
        "police_register",
        [
            ["姓名", "性别", "出生年月", "公民身份号码"],
            ["张伟", "男", "1990.03", P1],
            ["李丽", "女", "1992.08", P2],
        ],
    )
    same, other = imp.rows.order_by("row_number")
    assert (same.outcome, other.outcome) == (Outcome.MATCHED, Outcome.CONFLICTS)
    page = statistician.get(
        f"/exchange/imports/{imp.pk}/worklist/?state=all&outcome=matched"
    ).content
    text = page.decode()
    card = text.split(f'id="row-{same.pk}"', 1)[1].split('<li class="card', 1)[0]
    assert "1990-03（日不详）" in card and "1990-03-01" not in card
    assert "birth_date_month_only" not in text and "True" not in card
    assert "年月相同（名册未给出日）" in card
    # the conflicting one: shown with the roster's month
    page = statistician.get(f"/exchange/imports/{imp.pk}/worklist/?outcome=conflicts").content
    card = page.decode().split(f'id="row-{other.pk}"', 1)[1].split('<li class="card', 1)[0]
    assert "名册为 1992-08（日不详）" in card and "1992-07-20" in card
    # a row linked before the exact pass noted month-only dates (no notes in its evidence)
    # is told the same way, from the row's own flag
    same.evidence = {k: v for k, v in same.evidence.items() if k != "notes"}
    same.save(update_fields=["evidence"])
    page = statistician.get(f"/exchange/imports/{imp.pk}/worklist/?state=all&outcome=matched")
    card = page.content.decode().split(f'id="row-{same.pk}"', 1)[1].split('<li class="card', 1)[0]
    assert "年月相同（名册未给出日）" in card
