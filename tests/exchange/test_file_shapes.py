"""File shapes offices really send (issue 17): two-level headers, a header far down, Excel's
"Unicode text", month-only and two-digit-year dates, sex words; every column's fate in the
mapping; the command line's --columns and --dry-run; messages that name what is looked for."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.core.models import AuditLog
from renkou.core.problems import InputRefused
from renkou.exchange import values as v
from renkou.exchange.kinds import KINDS, map_headers
from renkou.exchange.models import QuarantinedRow, RosterImport, RosterRow
from renkou.exchange.reading import read_roster
from renkou.exchange.services import roster_import
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, id_number, today
from tests.exchange.xlsx import write_xlsx

P1 = id_number("1990-03-05", 11)  # 张伟, M
P2 = id_number("1992-07-20", 22)  # 李丽, F
TODAY = date(2026, 12, 2)
BIRTHS = KINDS["hospital_births"]


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _import(path: Path, kind: str = "police_register", **kw):
    return roster_import(
        path=path,
        kind=kind,
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
        **kw,
    ).roster_import


def _staged(imp: RosterImport) -> dict[int, dict]:
    return {r.row_number: r.values for r in RosterRow.objects.filter(roster_import=imp)}


@pytest.mark.django_db
def test_two_level_header_is_read_with_columns_named_in_their_group(county, tmp_path) -> None:
    path = write_xlsx(
        tmp_path / "出生登记.xlsx",
        [
            ["2025年 龙溪卫生院出生登记"],
            ["序号", "产妇信息", "", "", "新生儿信息", "", ""],
            ["", "姓名", "身份证号", "出生日期", "姓名", "性别", "出生日期"],
            [1, "李丽", P2, "1992-07-20", "", "男", "2021-01-15"],
            [2, "王芳", "", "1995-01-01", "王小宝", "女生", "2021.3.4"],
        ],
        merged=("A1:G1", "A2:A3", "B2:D2", "E2:G2"),
    )
    sheet = read_roster(path, BIRTHS)
    assert sheet.headers == [
        "序号",
        "产妇信息/姓名",
        "产妇信息/身份证号",
        "产妇信息/出生日期",
        "新生儿信息/姓名",
        "新生儿信息/性别",
        "新生儿信息/出生日期",
    ]
    mapping = map_headers(BIRTHS, sheet.headers)
    assert mapping.columns == {
        "mother_name": 1,
        "mother_id": 2,
        "name": 4,
        "sex": 5,
        "birth_date": 6,
    }
    # 序号 and the mother's own birth date are known and knowingly not imported.
    assert mapping.ignored == ["序号", "产妇信息/出生日期"]
    assert not mapping.unsure
    imp = _import(path, "hospital_births")
    rows = _staged(imp)
    assert rows[4]["mother_name"] == "李丽" and rows[4]["birth_date"] == "2021-01-15"
    assert rows[4]["sex"] == "M"
    assert rows[5]["name"] == "王小宝" and rows[5]["sex"] == "F"
    assert rows[5]["birth_date"] == "2021-03-04"


@pytest.mark.django_db
def test_header_at_row_25_is_found(county, tmp_path) -> None:
    notes = [[f"填表说明第{i}条：请如实填写"] for i in range(1, 25)]
    path = _csv(
        tmp_path / "户籍.csv",
        [*notes, ["姓名", "性别", "出生日期", "公民身份号码"], ["张伟", "男", "1990-03-05", P1]],
    )
    sheet = read_roster(path, KINDS["police_register"])
    assert sheet.headers == ["姓名", "性别", "出生日期", "公民身份号码"]
    assert [n for n, _cells in sheet.rows] == [26]
    imp = _import(path)
    assert (imp.rows_staged, imp.rows_quarantined) == (1, 0)


def test_header_below_row_30_is_not_looked_for(tmp_path) -> None:
    notes = [[f"说明{i}"] for i in range(1, 31)]
    path = _csv(
        tmp_path / "r.csv", [*notes, ["姓名", "性别", "出生日期"], ["张伟", "男", "1990-03-05"]]
    )
    with pytest.raises(InputRefused) as info:
        read_roster(path, KINDS["police_register"])
    p = info.value.problems[0]
    assert p.code == "header_not_found"
    assert "前 30 行" in p.message_zh and "出生日期、出生年月" in p.message_zh


@pytest.mark.django_db
def test_utf16_unicode_text_from_excel(county, tmp_path) -> None:
    text = "姓名\t性别\t出生年月\t公民身份号码\r\n张伟\t男\t1990.03\t" + P1 + "\r\n"
    path = tmp_path / "户籍.txt"
    path.write_bytes(text.encode("utf-16"))  # with its BOM, as Excel writes "Unicode text"
    assert path.read_bytes()[:2] == b"\xff\xfe"
    imp = _import(path)
    assert (imp.rows_staged, imp.rows_quarantined) == (1, 0)
    values = _staged(imp)[2]
    assert values["name"] == "张伟"
    # Month only: kept as the 1st with the flag; the number's 1990-03-05 agrees on the month.
    assert values["birth_date"] == "1990-03-01" and values["birth_date_month_only"] is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990-05-03", date(1990, 5, 3)),
        ("1990/5/3", date(1990, 5, 3)),
        ("1990.5.3", date(1990, 5, 3)),
        ("1990. 5. 3", date(1990, 5, 3)),
        ("19900503", date(1990, 5, 3)),
        ("1990年5月3日", date(1990, 5, 3)),
        ("90-05-03", date(1990, 5, 3)),
        ("15-05-03", date(2015, 5, 3)),  # 2015 is not after today
        ("26-12-31", date(1926, 12, 31)),  # 2026-12-31 would be after today
    ],
)
def test_each_date_shape(text: str, expected: date) -> None:
    result = v.a_date(text, today=TODAY)
    assert result == expected and not isinstance(result, v.MonthDate)


@pytest.mark.parametrize("text", ["1990.05", "1990年5月", "199005", "1990-05", "1990/5"])
def test_year_month_only_birth_dates(text: str) -> None:
    result = v.a_date(text, today=TODAY, month_ok=True)
    assert isinstance(result, v.MonthDate) and result == date(1990, 5, 1)
    with pytest.raises(v.CellProblem):  # only a birth date may lack its day
        v.a_date(text, today=TODAY)


def test_a_bad_date_lists_every_accepted_format() -> None:
    with pytest.raises(v.CellProblem) as info:
        v.a_date("5/3/1990", today=TODAY, month_ok=True)
    formats = info.value.params["formats"]
    for shape in (*v.DATE_FORMATS, *v.MONTH_FORMATS):
        assert shape in formats


@pytest.mark.parametrize(
    ("written", "sex"),
    [
        ("男", "M"),
        ("女", "F"),
        ("男生", "M"),
        ("女生", "F"),
        ("男性", "M"),
        ("未知", ""),
        ("2", "F"),
    ],
)
def test_each_sex_spelling(written: str, sex: str) -> None:
    assert v.sex(written) == sex


def test_identity_number_with_dashes_is_said_to_contain_dashes() -> None:
    dashed = f"{P1[:6]}-{P1[6:14]}-{P1[14:]}"
    with pytest.raises(v.CellProblem) as info:
        v.id_number(dashed)
    assert info.value.code == "id_dashes"
    from renkou.core.problems import problem

    p = problem("id_dashes", file="f", value="x")
    assert "短横线" in p.message_zh and "contains dashes" in p.message_en


@pytest.mark.django_db
def test_missing_column_message_names_the_headers_looked_for(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "婚姻.csv",
        [
            ["男方姓名", "男方身份证号", "女方姓名", "女方身份证号", "登记日期"],
            ["张伟", P1, "李丽", P2, "2015-01-01"],
        ],
    )
    with pytest.raises(InputRefused) as info:
        _import(path, "civil_marriages")
    p = info.value.problems[0]
    assert p.code == "roster_column_missing"
    assert "登记类别、业务类型、类别" in p.message_zh and "act" not in p.message_en


HOSPITAL = [
    ["母亲姓名", "母亲有效证件号", "出生日期", "性别", "新生儿姓名", "联系电话"],
    ["李丽", P2, "2025-01-15", "男", "", "13800000000"],
]


def test_mapping_report_every_column_and_an_ignored_id_like_column_is_unsure() -> None:
    mapping = map_headers(BIRTHS, HOSPITAL[0], [HOSPITAL[1]])
    fates = [(f.header, f.fate, f.column, f.looks_like) for f in mapping.fates]
    assert fates == [
        ("母亲姓名", "mapped", "mother_name", ""),
        ("母亲有效证件号", "ignored", "", "id"),
        ("出生日期", "mapped", "birth_date", ""),
        ("性别", "mapped", "sex", ""),
        ("新生儿姓名", "mapped", "name", ""),
        ("联系电话", "ignored", "", ""),
    ]
    assert mapping.doubtful == ["母亲有效证件号"] and mapping.unsure
    # A column of identity numbers under a header that says nothing is noticed by its values.
    noticed = map_headers(BIRTHS, ["母亲姓名", "出生日期", "性别", "备用"], [["李丽", "", "", P2]])
    assert noticed.doubtful == ["备用"]
    # A column guessed by containment is reported as guessed.
    guessed = map_headers(BIRTHS, ["产妇姓名", "出生日期（年月日）", "性别"])
    assert ("出生日期（年月日）", "guessed") in [(f.header, f.fate) for f in guessed.fates]


def _cli(path: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command(
        "exchange",
        "import",
        "--kind",
        "hospital_births",
        "--orgunit",
        TOWNSHIP_A,
        str(path),
        *extra,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


@pytest.mark.django_db
def test_command_line_refuses_an_unsure_mapping_and_accepts_columns(county, tmp_path) -> None:
    path = _csv(tmp_path / "医院.csv", HOSPITAL)
    audits = AuditLog.objects.count()
    dry = _cli(path, "--dry-run")
    assert "母亲有效证件号: ignored" in dry and "looks like an identity number" in dry
    assert "母亲姓名: mapped / 已对应 → mother_name" in dry and "unsure" in dry
    assert RosterImport.objects.count() == 0 and AuditLog.objects.count() == audits
    with pytest.raises(CommandError):
        _cli(path)
    assert RosterImport.objects.count() == 0 and QuarantinedRow.objects.count() == 0
    with pytest.raises(CommandError):
        _cli(path, "--columns", "nonsense=母亲有效证件号")
    assert RosterImport.objects.count() == 0
    out = _cli(path, "--columns", "mother_id=母亲有效证件号")
    assert "1 rows, 1 staged, 0 quarantined" in out
    imp = RosterImport.objects.get()
    assert imp.mapping["columns"]["mother_id"] == "母亲有效证件号" and imp.mapping["confirmed"]
    row = RosterRow.objects.get(roster_import=imp)
    assert "mother_id" in row.id_hashes and row.values["mother_id"].endswith(P2[-4:])


@pytest.mark.django_db
def test_upload_page_asks_to_confirm_when_an_ignored_column_looks_like_a_number(
    county, django_capture_on_commit_callbacks
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.builders import client_as

    client = client_as("statistician", TOWNSHIP_A, "stat-a")
    text = "\n".join(",".join(r) for r in HOSPITAL) + "\n"
    for language, words in (("zh-hans", "像是身份证号"), ("en", "looks like an identity number")):
        upload = SimpleUploadedFile("医院.csv", text.encode("utf-8"), content_type="text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(
                "/exchange/upload/",
                {"kind": "hospital_births", "orgunit": TOWNSHIP_A, "file": upload},
                HTTP_ACCEPT_LANGUAGE=language,
            )
        body = page.content.decode()
        assert page.status_code == 200 and "母亲有效证件号" in body and words in body
        token = re.search(r'name="token" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
        form = {"token": token, "kind": "hospital_births", "orgunit": TOWNSHIP_A, "cancel": "1"}
        client.post("/exchange/confirm/", form)  # cancelled: the kept upload is deleted
    assert RosterImport.objects.count() == 0


def test_a_row_of_notes_above_the_header_is_no_group_row(tmp_path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["填报单位：龙溪卫生院", "", "填报日期：2025年6月"],
            ["姓名", "性别", "出生日期", "身份证号"],
            ["张伟", "男", "1990-03-05", P1],
        ],
    )
    sheet = read_roster(path, KINDS["police_register"])
    assert sheet.headers == ["姓名", "性别", "出生日期", "身份证号"]
