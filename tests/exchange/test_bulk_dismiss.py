"""Dismissing several worklist rows with one reason: each dismissed and audited on its own;
the page's numbered pages keep the worklist's filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages

from renkou.core.models import AuditLog
from renkou.exchange.linking import roster_link
from renkou.exchange.models import Decision, RosterImport
from renkou.exchange.services import roster_import
from renkou.exchange.worklist import worklist_confirm
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, client_as, id_number

pytestmark = pytest.mark.django_db


def deaths_roster(directory: Path, strangers: int, first: int = 101) -> RosterImport:
    """A linked hospital-deaths roster: 张伟 of the register and ``strangers`` unknown people."""
    lines = ["姓名,身份证号,性别,死亡日期", f"张伟,{id_number('1990-03-05', 11)},男,2025-06-01"]
    for i in range(strangers):
        lines.append(
            f"陌生{i:03d},{id_number('1950-01-01', first + 2 * i)},男,2025-05-{1 + i % 28:02d}"
        )
    path = directory / "deaths.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imp = roster_import(
        path=path,
        kind="hospital_deaths",
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    return imp


def _texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_several_rows_dismissed_with_one_reason(county: None, tmp_path: Path) -> None:
    imp = deaths_roster(tmp_path, 4)
    missing = list(imp.rows.filter(outcome="missing").order_by("row_number"))
    assert len(missing) == 4
    decided = imp.rows.exclude(outcome="missing").get()  # 张伟, found in the register
    worklist_confirm(row=decided, actor="test")
    stat = client_as("statistician", TOWNSHIP_A, "stat")
    ids = [missing[0].pk, missing[1].pk, missing[2].pk, decided.pk, 999999]
    url = f"/exchange/imports/{imp.pk}/worklist/dismiss/"
    response = stat.post(url, {"reason": "外县人员", "ids": [str(i) for i in ids]})
    assert response.status_code == 302
    assert response["Location"] == f"/exchange/imports/{imp.pk}/worklist/"
    dismissed = imp.rows.filter(decision=Decision.DISMISSED)
    assert {r.pk for r in dismissed} == {m.pk for m in missing[:3]}
    assert {r.decision_reason for r in dismissed} == {"外县人员"}
    assert {r.decided_by.username for r in dismissed} == {"stat"}
    audited = AuditLog.objects.filter(action="exchange.worklist.dismissed")
    assert {int(a.object_id) for a in audited} == {m.pk for m in missing[:3]}
    assert {a.reason for a in audited} == {"外县人员"}
    texts = _texts(response)
    assert "已完成 3 项。" in texts
    assert f"第 {decided.row_number} 行 未处理：已处理" in texts
    assert "#999999 未处理：本工作单中没有该事项" in texts
    # again: the rows already dismissed are refused, nothing is written twice
    stat.post(url, {"reason": "再次", "ids": [str(missing[0].pk)]})
    assert AuditLog.objects.filter(action="exchange.worklist.dismissed").count() == 3


def test_no_reason_or_no_right_dismisses_nothing(county: None, tmp_path: Path) -> None:
    imp = deaths_roster(tmp_path, 2)
    ids = [str(r.pk) for r in imp.rows.filter(outcome="missing")]
    url = f"/exchange/imports/{imp.pk}/worklist/dismiss/"
    stat = client_as("statistician", TOWNSHIP_A, "stat")
    texts = _texts(stat.post(url, {"reason": " ", "ids": ids}))
    assert texts == ["deaths.csv 未处理：请填写无需处理的理由"]
    assert client_as("reporter", VILLAGE_A1, "rep").post(
        url, {"reason": "x", "ids": ids}
    ).status_code in (403, 404)
    assert (
        client_as("statistician", TOWNSHIP_B, "b")
        .post(url, {"reason": "x", "ids": ids})
        .status_code
        == 404
    )
    assert not imp.rows.exclude(decision="").exists()
    assert not AuditLog.objects.filter(action="exchange.worklist.dismissed").exists()


def test_rows_of_another_import_are_not_dismissed(county: None, tmp_path: Path) -> None:
    first = deaths_roster(tmp_path, 1)
    (tmp_path / "b").mkdir()
    second = deaths_roster(tmp_path / "b", 1, first=501)
    assert second.pk != first.pk
    row = second.rows.get(outcome="missing")
    stat = client_as("statistician", TOWNSHIP_A, "stat")
    texts = _texts(
        stat.post(
            f"/exchange/imports/{first.pk}/worklist/dismiss/", {"reason": "x", "ids": [str(row.pk)]}
        )
    )
    assert texts == [f"#{row.pk} 未处理：本工作单中没有该事项"]
    assert not second.rows.exclude(decision="").exists()


def test_the_worklist_pages_keep_the_filters(county: None, tmp_path: Path) -> None:
    imp = deaths_roster(tmp_path, 120)
    stat = client_as("statistician", TOWNSHIP_A, "stat")
    url = f"/exchange/imports/{imp.pk}/worklist/"
    first = stat.get(url, {"outcome": "missing", "state": "open"})
    page = first.context["page"]
    assert (page.total, page.pages) == (120, 3)
    html = first.content.decode()
    assert "outcome=missing&amp;state=open&amp;page=2" in html
    assert 'id="bulk-dismiss"' in html and html.count('form="bulk-dismiss"') == 50
    third = stat.get(url, {"outcome": "missing", "state": "open", "page": "3"})
    expected = list(
        imp.rows.filter(outcome="missing").order_by("row_number").values_list("pk", flat=True)
    )[100:]
    assert [r.pk for r in third.context["rows"]] == expected
