"""Importing rosters into staging and quarantine, on the real database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from renkou.core.models import AuditLog
from renkou.core.problems import InputRefused
from renkou.exchange.models import QuarantinedRow, RosterImport, RosterRow
from renkou.exchange.selectors import quarantine_write
from renkou.exchange.services import roster_import
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, id_number, today
from tests.exchange.xlsx import write_xlsx

pytestmark = pytest.mark.django_db

P1 = id_number("1990-03-05", 11)  # 张伟, M, in the small county
P2 = id_number("1992-07-20", 22)  # 李丽, F


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _import(path: Path, kind: str = "police_register"):
    return roster_import(
        path=path,
        kind=kind,
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
    )


def test_gbk_csv_is_staged_and_bad_rows_quarantined_with_reasons(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "户籍.csv",
        [
            ["姓名", "性别", "出生日期", "公民身份号码", "民族"],
            ["张伟", "男", "1990年3月5日", P1 + " ", "汉族"],
            ["李丽", "女", "1992/7/20", P2, "汉族"],
            ["错号", "男", "1990-03-05", P1[:-1] + "0", ""],
            ["", "女", "2026-01-01", "", ""],
            ["张伟", "女", "1990-03-05", P1, ""],
        ],
        encoding="gbk",
    )
    result = _import(path)
    imp = result.roster_import
    assert result.created
    # Issue 17: a damaged number (row 4) or one that disagrees with the row's sex (row 6) is
    # evidence, not a verdict: those rows are staged with the problem, not quarantined.
    assert (imp.rows_total, imp.rows_staged, imp.rows_quarantined) == (5, 4, 1)
    staged = {r.row_number: r for r in RosterRow.objects.filter(roster_import=imp)}
    assert staged[2].values["birth_date"] == "1990-03-05"
    assert staged[2].values["id_number"] == "330122********0118"[:6] + "********" + P1[-4:]
    assert P1 not in str(staged[2].values) and P1 not in staged[2].original_enc
    assert staged[4].id_hashes["problems"] == {"id_number": "checksum"}
    assert staged[6].id_hashes["problems"] == {"id_number": "sex_mismatch"}
    reasons = {(q.row_number, q.code) for q in QuarantinedRow.objects.filter(roster_import=imp)}
    assert reasons == {(5, "required"), (5, "future_date")}
    assert AuditLog.objects.filter(action="exchange.import", object_id=str(imp.pk)).exists()

    out = tmp_path / "quarantine.csv"
    assert quarantine_write(imp, out) == 2
    lines = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert lines[0][:2] == ["行号 row", "姓名"] and lines[0][-1] == "reason"


def test_same_file_twice_is_recognised_and_not_processed_again(county, tmp_path) -> None:
    path = _csv(tmp_path / "a.csv", [["姓名", "性别", "出生日期"], ["张伟", "男", "1990-03-05"]])
    first = _import(path)
    second = _import(path)
    assert first.created and not second.created
    assert second.roster_import.pk == first.roster_import.pk
    assert RosterImport.objects.count() == 1 and RosterRow.objects.count() == 1


def test_xlsx_with_title_row_merged_header_scientific_ids_and_totals(county, tmp_path) -> None:
    path = write_xlsx(
        tmp_path / "roster.xlsx",
        [
            ["2025年6月 公安入户花名册"],
            ["序号", "名字", "证件号码", "性别", "出生年月"],
            [1, "张伟", P1, "男", "1990.03.05"],
            [2, "李丽", 3.3012219920720e17, "女", "19920720"],
            [3, "王五", "1.10105E+17", "男", "1990-01-01"],
            [],
            ["合计", "3人"],
            ["", "制表人：某某"],
        ],
        merged=("A1:E1",),
    )
    imp = _import(path).roster_import
    # Issue 17: numbers Excel turned into floats are staged with the problem; the rows
    # are linked by their other fields and the lost digits' repairs.
    assert (imp.rows_total, imp.rows_staged, imp.rows_quarantined) == (3, 3, 0)
    problems = {r.row_number: r.id_hashes.get("problems") for r in imp.rows.all()}
    assert problems == {3: None, 4: {"id_number": "excel"}, 5: {"id_number": "excel"}}
    assert imp.mapping["columns"]["id_number"] == "证件号码"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("roster.pdf", b"%PDF-1.4", "file_type"),
        ("roster.xlsx", b"name,sex\n", "file_type"),
        ("roster.csv", b"", "file_empty"),
        ("roster.csv", "备注,说明\n一,二\n".encode(), "header_not_found"),
        ("roster.csv", "姓名,性别\n张伟,男\n".encode(), "roster_column_missing"),
        (
            "roster.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 64
            + "EncryptedPackage".encode("utf-16-le"),
            "workbook_protected",
        ),
    ],
)
def test_unreadable_files_are_refused_whole(county, tmp_path, name, content, code) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputRefused) as info:
        _import(path)
    assert info.value.problems[0].code == code
    assert info.value.problems[0].message_zh and info.value.problems[0].message_en
    assert not RosterImport.objects.exists() and not RosterRow.objects.exists()


ROWS = [
    ["姓名", "性别", "出生日期", "公民身份号码", "民族"],
    ["张伟", "男", "1990-03-05", P1, "汉族"],
    ["李丽", "女", "1992-07-20", P2, "汉族"],
    ["", "女", "2026-01-01", "", ""],  # refused (quarantined): counted by its cells
]


def test_a_reencoded_copy_of_a_roster_is_recognised_by_its_rows(county, tmp_path) -> None:
    lf = "".join(",".join(row) + "\n" for row in ROWS)
    (tmp_path / "a.csv").write_text(lf, encoding="utf-8")
    first = _import(tmp_path / "a.csv")
    assert first.created and first.roster_import.rows_fingerprint
    crlf = tmp_path / "a-crlf.csv"
    crlf.write_bytes(
        (tmp_path / "a.csv").read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    )
    gbk = _csv(tmp_path / "a-gbk.csv", ROWS, encoding="gbk")
    resaved = write_xlsx(tmp_path / "a.xlsx", ROWS)
    reordered = _csv(tmp_path / "a-sorted.csv", [ROWS[0], ROWS[3], ROWS[2], ROWS[1]])
    other_header = _csv(
        tmp_path / "b.csv", [["姓名", "性别", "出生日期", "身份证号", "民族"], *ROWS[1:]]
    )
    for copy in (crlf, gbk, resaved, reordered, other_header):
        again = _import(copy)
        assert (again.created, again.same_rows) == (False, True), copy.name
        assert again.roster_import.pk == first.roster_import.pk
    assert RosterImport.objects.count() == 1 and RosterRow.objects.count() == 2
    assert _import(tmp_path / "a.csv").same_rows is False  # the very same file, as before
    # one row different: other rows, a new import
    changed = _csv(tmp_path / "c.csv", [*ROWS[:2], ["李丽", "女", "1992-07-21", P2, "汉族"]])
    assert _import(changed).created


def test_the_command_says_the_rows_were_imported_before(county, tmp_path, capsys) -> None:
    from django.core.management import call_command

    _import(_csv(tmp_path / "a.csv", ROWS))
    write_xlsx(tmp_path / "a.xlsx", ROWS)
    call_command(
        "exchange",
        "import",
        str(tmp_path / "a.xlsx"),
        "--kind",
        "police_register",
        "--orgunit",
        TOWNSHIP_A,
    )
    assert "these rows were already imported from a.csv" in capsys.readouterr().out
