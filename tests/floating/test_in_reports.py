"""The collaboration rates on the statistics dashboard and in the work summary, and the
floating pages read in Chinese."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from docx import Document

from renkou.floating.models import Message
from renkou.floating.services import message_send
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.reports.services import report_write
from tests.analytics.hand_register import A1, COUNTY
from tests.builders import client_as, id_number
from tests.reports.conftest import register, register_built  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("register")]


def arrival_in_2024() -> Message:
    """An arrival into A1 on 2024-05-01, notified now (long after its 7 days)."""
    event = services.arrival_submit(
        id_number=id_number("1988-04-02", 13, region="430521"),
        name="刘强",
        sex="M",
        birth_date=datetime.date(1988, 4, 2),
        hukou_region="430521",
        hukou_type="rural",
        ethnicity="01",
        marital_status="single",
        orgunit=OrgUnit.objects.get(code=A1),
        effective_date=datetime.date(2024, 5, 1),
        actor="test",
    )
    services.event_apply(event=event, actor="test")
    notice = Message.objects.get(arrival=event)
    return message_send(message=notice, actor="test")


def test_the_dashboard_and_the_summary_state_the_rates(tmp_path: Path) -> None:
    """Hand count for 2024: one arrival, notified late: 通报率 0 of 1 = 0.0 %; no request
    received: no reply rates."""
    arrival_in_2024()
    client = client_as("county_admin", COUNTY)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/statistics/{COUNTY}/", {"period": "2024"})
    figures = page.context["floating"]
    assert (figures["notice"].numerator, figures["notice"].denominator) == (0, 1)
    assert figures["reply"].denominator == 0
    html = page.content.decode()
    assert "流动人口“一盘棋”协作" in html and "通报率" in html

    out = tmp_path / "summary.docx"
    report_write(kind="summary", code=COUNTY, period="2024", lang="zh", outputs=[out], actor="test")
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "本期登记外来流入1人，按时通报0人，通报率0.0%；收到协查请求0件，已反馈0件。" in text
    out_en = tmp_path / "summary-en.docx"
    report_write(
        kind="summary", code=COUNTY, period="2024", lang="en", outputs=[out_en], actor="test"
    )
    text_en = "\n".join(p.text for p in Document(str(out_en)).paragraphs)
    assert "1 arrival from outside was registered in the period, 0 notified in time" in text_en


def test_the_indicators_command_states_the_rates_beside_the_other_figures() -> None:
    """The same hand count through ``renkou indicators``: 通报率 0 of 1 (Wilson 0–79.3 %),
    no request received (no value, no interval)."""
    arrival_in_2024()
    out = io.StringIO()
    call_command(
        "indicators", orgunit=COUNTY, period="2024", format="json", language="en", stdout=out
    )
    records = {r["indicator"]: r for r in json.loads(out.getvalue())}
    notice = records["floating_notice_rate"]
    assert (notice["value"], notice["numerator"], notice["denominator"]) == (0.0, 0, 1)
    # Wilson with 0 of 1: [0, z² ÷ (1 + z²)] = 0.7935 per one
    z2 = 1.959963984540054**2
    assert notice["interval"][0] == 0.0
    assert notice["interval"][1] == pytest.approx(100 * z2 / (1 + z2), abs=0.01)
    assert notice["label"] == "Arrivals notified in time (per cent)"
    reply = records["floating_reply_rate"]
    assert (reply["value"], reply["denominator"], reply["interval"]) == (None, 0, None)
    assert "births" in records  # beside the cached figures


def test_the_floating_pages_read_in_chinese() -> None:
    notice = arrival_in_2024()
    client = client_as("county_admin", COUNTY)
    client.cookies["django_language"] = "zh-hans"
    english = ("To send", "Overdue", "Message", "Arrival notice", "Floating population", "Due")
    for url, chinese in (
        ("/floating/?tab=waiting", "已发送，等待反馈"),
        (f"/floating/messages/{notice.message_id}/", "流入通报"),
        (f"/floating/rates/?unit={A1}&period=2024", "通报率"),
    ):
        html = client.get(url).content.decode()
        assert chinese in html, url
        shown = html.split("<main", 1)[1]
        assert not [word for word in english if f">{word}" in shown], url
    # the stock of A1 at the end of 2024 counts the arrival and the migrant W1 (from 410102)
    page = client.get(f"/floating/rates/?unit={A1}&period=2024")
    assert page.context["stock"].inflow_by_county == {"430521": 1, "410102": 1}


def test_the_statistical_forms_hold_the_collaboration_rates(tmp_path: Path) -> None:
    """Hand count for 2024, as above: township A (of A1) and the county have one arrival,
    notified late (0 in time, 0.0 %), no request received (blank rates); township B none."""
    import openpyxl

    from tests.analytics.hand_register import TOWNSHIP_A, TOWNSHIP_B

    arrival_in_2024()
    out = tmp_path / "forms.xlsx"
    report_write(kind="forms", code=COUNTY, period="2024", lang="zh", outputs=[out], actor="test")
    sheet = openpyxl.load_workbook(out, data_only=True).worksheets[3]
    assert sheet.title.endswith("流动人口协作统计表")
    rows = {
        sheet.cell(row=r, column=1).value: [sheet.cell(row=r, column=c).value for c in range(2, 10)]
        for r in range(7, 7 + 3)
    }
    names = dict(
        OrgUnit.objects.filter(code__in=[TOWNSHIP_A, TOWNSHIP_B]).values_list("code", "name")
    )
    assert rows[names[TOWNSHIP_A]] == [1, 0, 0, 0, 0, None, 0, None]
    assert rows[names[TOWNSHIP_B]] == [0, 0, None, 0, 0, None, 0, None]
    assert rows["合计"] == [1, 0, 0, 0, 0, None, 0, None]
