"""The statistical forms: every number of the xlsx and the CSV is the cached figure, totals
are SUM formulas that equal the unit's own figure, the sheets print on A4 landscape."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from renkou.analytics.models import IndicatorValue
from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.quality.rates import quality_rates
from renkou.reports.data import ReportError
from renkou.reports.forms import VITAL
from renkou.reports.services import report_write
from tests.analytics.hand_register import A1, COUNTY, TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.django_db
FIRST = 7  # 1-based row of the first unit row (title, four lines, header above it)


def cached(unit: str, indicator: str, part: str = "value", basis: str = "registered") -> Any:
    v = IndicatorValue.objects.get(orgunit=unit, period="2024", basis=basis, indicator=indicator)
    return getattr(v, part)


def expected_vital(unit: str) -> list[Any]:
    out = []
    for key, source, part, *_rest in VITAL:
        if key == "births_order_unknown":
            known = sum(
                cached(unit, s, "numerator")
                for s in ("parity_share_1", "parity_share_2", "parity_share_3plus")
            )
            out.append(cached(unit, "births") - known)
        else:
            out.append(cached(unit, source, part))
    return out


def make(tmp_path: Path, lang: str = "zh", code: str = COUNTY) -> tuple[Path, Path]:
    xlsx, text = tmp_path / f"forms-{lang}.xlsx", tmp_path / f"forms-{lang}.csv"
    report_write(
        kind="forms", code=code, period="2024", lang=lang, outputs=[xlsx, text], actor="test"
    )
    return xlsx, text


def test_every_number_of_the_vital_form_is_the_cached_figure(
    register: None, tmp_path: Path
) -> None:
    xlsx, _ = make(tmp_path)
    values = openpyxl.load_workbook(xlsx, data_only=True)
    formulas = openpyxl.load_workbook(xlsx)
    sheet, raw = values.worksheets[0], formulas.worksheets[0]
    assert sheet["A1"].value == "人口变动及分孩次出生统计表"
    assert "桐庐县 (330122)" in sheet["A2"].value and "2024" in sheet["A3"].value
    headers = [c.value for c in sheet[FIRST - 1]]
    assert headers[0] == "单位" and "出生率（‰）" in headers and "往年出生未报" in "".join(headers)
    names = [sheet.cell(row=r, column=1).value for r in range(FIRST, FIRST + 3)]
    assert names == ["甲镇", "乙乡", "合计"]
    for r, unit in ((FIRST, TOWNSHIP_A), (FIRST + 1, TOWNSHIP_B), (FIRST + 2, COUNTY)):
        got = [sheet.cell(row=r, column=c).value for c in range(2, len(VITAL) + 2)]
        want = expected_vital(unit)
        assert got == pytest.approx(want), unit
        for c in range(2, len(VITAL) + 2):
            assert isinstance(sheet.cell(row=r, column=c).value, int | float)
    # the additive totals are formulas; the rates are the county's own figures
    births_col = 2 + [k for k, *_ in VITAL].index("births")
    letter = openpyxl.utils.get_column_letter(births_col)
    assert raw.cell(row=FIRST + 2, column=births_col).value == (
        f"=SUM({letter}{FIRST}:{letter}{FIRST + 1})"
    )
    rate_col = 2 + [k for k, *_ in VITAL].index("crude_birth_rate")
    assert raw.cell(row=FIRST + 2, column=rate_col).value == pytest.approx(
        cached(COUNTY, "crude_birth_rate")
    )
    assert raw.cell(row=FIRST, column=rate_col).number_format.endswith('"‰"')
    assert raw.page_setup.orientation == "landscape" and int(raw.page_setup.paperSize) == 9
    assert raw.sheet_properties.pageSetUpPr.fitToPage


def test_the_fertility_and_quality_forms(register: None, tmp_path: Path) -> None:
    xlsx, _ = make(tmp_path, "en")
    book = openpyxl.load_workbook(xlsx, data_only=True)
    fertility, quality = book.worksheets[1], book.worksheets[2]
    rows = {fertility.cell(row=r, column=1).value: r for r in range(FIRST, FIRST + 8)}
    for group in ("25–29", "30–34", "35–39"):
        name = "asfr_" + group.replace("–", "_")
        r = rows[group]
        assert fertility.cell(row=r, column=2).value == pytest.approx(
            cached(COUNTY, name, "denominator")
        )
        assert fertility.cell(row=r, column=3).value == cached(COUNTY, name, "numerator")
        assert fertility.cell(row=r, column=4).value == pytest.approx(cached(COUNTY, name))
    total = rows["Women 15–49 / general fertility rate"]
    assert fertility.cell(row=total, column=3).value == 5
    assert fertility.cell(row=total, column=4).value == pytest.approx(
        cached(COUNTY, "general_fertility_rate")
    )
    rates = {r.orgunit: r for r in quality_rates(orgunit=OrgUnit.objects.get(code=COUNTY))}
    assert rates[COUNTY].persons > 0
    for r, unit in ((FIRST, TOWNSHIP_A), (FIRST + 1, TOWNSHIP_B), (FIRST + 2, COUNTY)):
        assert quality.cell(row=r, column=2).value == rates[unit].persons
        assert quality.cell(row=r, column=4).value == pytest.approx(
            rates[unit].logic_accuracy_percent
        )
        assert quality.cell(row=r, column=7).value == pytest.approx(
            rates[unit].completeness_percent
        )
        assert quality.cell(row=r, column=9).value == cached(unit, "late_births_reported")


def test_the_csv_holds_the_same_numbers(register: None, tmp_path: Path) -> None:
    _, text = make(tmp_path)
    raw = text.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    total = next(r for r in rows if r and r[0] == "合计")
    want = expected_vital(COUNTY)
    assert [float(x) for x in total[1 : len(VITAL) + 1]] == pytest.approx(want, abs=0.005)
    assert any(r and r[0] == "分母亲年龄生育统计表" for r in rows)


def test_a_village_has_no_sub_units_and_a_merged_village_goes_to_the_remainder(
    register: None, tmp_path: Path
) -> None:
    xlsx, _ = make(tmp_path, code=A1)
    sheet = openpyxl.load_workbook(xlsx, data_only=True).worksheets[0]
    assert sheet.cell(row=FIRST, column=1).value == "合计"
    assert sheet.cell(row=FIRST, column=2).value == cached(A1, "population_end")


def test_the_report_is_audited_with_its_parameters(register: None, tmp_path: Path) -> None:
    make(tmp_path)
    row = AuditLog.objects.get(action="report.generate")
    assert row.object_id == COUNTY
    assert row.after["period"] == "2024" and row.after["kind"] == "forms"
    assert row.after["files"] == ["forms-zh.xlsx", "forms-zh.csv"]


@pytest.mark.parametrize(
    ("code", "period", "message"),
    [
        ("999999", "2024", "没有这个行政区划"),
        (COUNTY, "2024-13", "不是有效的统计时期"),
        (COUNTY, "2019", "尚未计算"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    register: None, tmp_path: Path, code: str, period: str, message: str
) -> None:
    out = tmp_path / "out" / "forms.xlsx"
    with pytest.raises(ReportError, match=message):
        report_write(kind="forms", code=code, period=period, lang="zh", outputs=[out], actor="t")
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    assert not AuditLog.objects.filter(action="report.generate").exists()


def test_the_command_writes_forms_and_explains_bad_input_in_english(
    register: None, tmp_path: Path
) -> None:
    out = tmp_path / "f.xlsx"
    call_command("report", "forms", "--orgunit", COUNTY, "--period", "2024", "--out", str(out))
    assert openpyxl.load_workbook(out).worksheets[0]["A1"].value == "人口变动及分孩次出生统计表"
    with pytest.raises(CommandError, match="not computed yet"):
        call_command(
            "report",
            "forms",
            "--orgunit",
            COUNTY,
            "--period",
            "2019",
            "--lang",
            "en",
            "--out",
            str(tmp_path / "g.xlsx"),
        )
    with pytest.raises(CommandError, match=r"not .*g\.docx"):
        call_command(
            "report",
            "forms",
            "--orgunit",
            COUNTY,
            "--period",
            "2024",
            "--lang",
            "en",
            "--out",
            str(tmp_path / "g.docx"),
        )
    assert not (tmp_path / "g.xlsx").exists() and not (tmp_path / "g.docx").exists()


def test_quality_form_has_completeness_against_hospital_births(
    register: None, tmp_path: Path
) -> None:
    from renkou.exchange.linking import roster_link
    from renkou.exchange.services import roster_import
    from tests.builders import id_number

    # mothers M1, M2 and M4 of hand_register (their ids follow its numbering)
    m1, m2, m4 = (
        id_number(b, n) for b, n in (("1994-05-10", 2), ("1990-08-20", 6), ("1996-06-06", 20))
    )
    path = tmp_path / "births.csv"
    path.write_text(
        "婴儿性别,出生日期,母亲姓名,母亲身份证号\n"
        f"男,2024-03-31,人0,{m1}\n女,2024-04-01,人2,{m2}\n女,2024-02-10,人9,{m4}\n",
        encoding="utf-8",
    )
    imp = roster_import(
        path=path, kind="hospital_births", orgunit=OrgUnit.objects.get(code=COUNTY), actor="test"
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    xlsx, _ = make(tmp_path, "en")
    quality = openpyxl.load_workbook(xlsx, data_only=True).worksheets[2]
    headers = [c.value for c in quality[FIRST - 1]]
    col = headers.index("Births on hospital rosters") + 1
    names = [quality.cell(row=r, column=1).value for r in range(FIRST, FIRST + 5)]
    total = FIRST + names.index("Total")
    assert quality.cell(row=total, column=col).value == 3
    # Five births in the register in 2024 against three listed on a roster of 2024-02-10 to
    # 2024-04-01: this was 166.7 %; the roster does not cover the year, so no rate.
    assert quality.cell(row=total, column=col + 1).value is None
    assert headers[col].startswith("Hospital births found in the register")
    raw = openpyxl.load_workbook(xlsx).worksheets[2]
    assert str(raw.cell(row=total, column=col).value).startswith("=SUM(")
