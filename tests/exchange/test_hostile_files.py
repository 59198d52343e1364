"""Hostile roster files (issue 23): no upload crashes a server process or gives a 500, every
refused upload is deleted from the incoming directory, and long fields and CR-only line
endings are read as the rows they are."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from renkou.benefits.payments import ResultFileError, read_result
from renkou.core.models import Job
from renkou.core.problems import InputRefused
from renkou.core.spreadsheets import read_in_child
from renkou.core.tabular import read_table
from renkou.exchange.kinds import KINDS
from renkou.exchange.models import RosterImport, RosterRow
from renkou.exchange.reading import read_roster
from renkou.exchange.uploads import incoming_dir
from tests.builders import TOWNSHIP_A, client_as, id_number
from tests.exchange import xlsx

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DEATHS = KINDS["hospital_deaths"]
P1 = id_number("1990-03-05", 11)  # 张伟, M, alive in the county
STRANGER = id_number("1980-08-08", 81)
MB = 1024 * 1024


def _sheet(cells: str, dimension: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{cells}</sheetData></worksheet>"
    ).encode()


def _header_row() -> str:
    heads = ["姓名", "身份证号", "性别", "死亡日期"]
    cells = "".join(
        f'<c r="{"ABCD"[i]}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(heads)
    )
    return f'<row r="1">{cells}</row>'


def _workbook(sheet: bytes) -> dict[str, bytes]:
    """The members of a one-sheet workbook (the boilerplate of tests/exchange/xlsx.py)."""
    return {
        "[Content_Types].xml": xlsx._CONTENT_TYPES.encode(),
        "_rels/.rels": xlsx._RELS.encode(),
        "xl/workbook.xml": xlsx._WORKBOOK.encode(),
        "xl/_rels/workbook.xml.rels": xlsx._WORKBOOK_RELS.encode(),
        "xl/worksheets/sheet1.xml": sheet,
    }


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def far_cell_xlsx() -> bytes:
    """The drill's file: a header and one cell at XFD1048576, the last cell of a sheet."""
    return _zip(
        _workbook(_sheet(_header_row() + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    )


def _raw_zip(name: str, deflated: bytes, declared_size: int) -> bytes:
    """A zip of one member written byte by byte, so that its header can say what it likes."""
    encoded = name.encode()
    local = struct.pack(
        "<4sHHHHHIIIHH",
        b"PK\x03\x04",
        20,
        0,
        8,
        0,
        0,
        0,
        len(deflated),
        declared_size,
        len(encoded),
        0,
    )
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII",
        b"PK\x01\x02",
        20,
        20,
        0,
        8,
        0,
        0,
        0,
        len(deflated),
        declared_size,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    body = local + encoded + deflated
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(encoded), len(body), 0
    )
    return body + central + encoded + end


def _bomb_stream(megabytes: int) -> bytes:
    """A deflate stream of ``megabytes`` MB of spaces, some 1 KB a megabyte (built from one
    compressed block repeated: a full flush makes every block alike)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b" " * MB
    first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    assert first[-len(again) :] == again or first == again
    return first + again * (megabytes - 1) + packer.flush()


@pytest.fixture
def statistician(county: None) -> Any:
    return client_as("statistician", TOWNSHIP_A, "stat-hostile")


def _upload(client: Any, name: str, data: bytes, language: str = "en") -> str:
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    response = client.post(
        "/exchange/upload/",
        {"kind": "hospital_deaths", "orgunit": TOWNSHIP_A, "file": file},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def _refused(client: Any, name: str, data: bytes, *reasons: str, language: str = "en") -> None:
    text = _upload(client, name, data, language)
    assert name in text, text[-2000:]
    for reason in reasons:
        assert reason in text, text[-2000:]
    assert RosterImport.objects.count() == 0 and Job.objects.count() == 0
    assert list(incoming_dir().iterdir()) == []


# --- spreadsheets ------------------------------------------------------------------------


def test_the_2kb_far_cell_xlsx_is_refused_before_the_reader_sees_it(statistician: Any) -> None:
    data = far_cell_xlsx()
    assert len(data) < 2048
    _refused(
        statistician,
        "deaths.xlsx",
        data,
        "sheet “Sheet1” spans A1:XFD1048576, beyond what a roster can have",
        "at most 1,048,576 rows, 1,024 columns, 16,777,216 cells",
    )
    _refused(
        statistician,
        "deaths.xlsx",
        data,
        "工作表“Sheet1”的范围 A1:XFD1048576 超出名册的限度",
        language="zh-hans",
    )
    # and this process lives on to serve the next request
    assert statistician.get("/exchange/").status_code == 200


def test_the_reader_aborting_fails_the_file_not_the_process() -> None:
    # Without the check, calamine asks for 512 GB and aborts (SIGABRT): in the child only.
    with pytest.raises(InputRefused) as refused:
        read_in_child(far_cell_xlsx(), "deaths.xlsx")
    (problem,) = refused.value.problems
    assert problem.code == "reader_failed" and problem.file == "deaths.xlsx"
    assert (
        "SIGABRT, out of memory" in problem.message_en
        and "读表程序未能读完此文件" in problem.message_zh
    )


def test_a_sheet_outside_the_usual_folder_is_checked_too(tmp_path: Path) -> None:
    # The first sheet is wherever the workbook's relationships point, not only xl/worksheets/.
    members = _workbook(b"")
    del members["xl/worksheets/sheet1.xml"]
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"worksheets/sheet1.xml", b"elsewhere/data.xml"
    )
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    members["xl/elsewhere/data.xml"] = _sheet(_header_row() + far)
    path = tmp_path / "deaths.xlsx"
    path.write_bytes(_zip(members))
    with pytest.raises(InputRefused) as refused:
        read_roster(path, DEATHS)
    (problem,) = refused.value.problems
    assert (
        problem.code == "sheet_too_large" and "“Sheet1” spans A1:XFD1048576" in problem.message_en
    )


def test_a_declared_dimension_beyond_a_roster_is_refused(tmp_path: Path) -> None:
    cells = _header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>张伟</t></is></c></row>'
    path = tmp_path / "deaths.xlsx"
    path.write_bytes(_zip(_workbook(_sheet(cells, dimension="A1:ZZZ70000"))))
    with pytest.raises(InputRefused) as refused:
        read_roster(path, DEATHS)
    assert "spans A1:ZZZ70000" in refused.value.problems[0].message_en


def test_cells_without_references_are_placed_in_order_and_checked(tmp_path: Path) -> None:
    # A writer may leave out r=""; each cell then follows the one before it.
    wide = "<c><v>1</v></c>" * 1_100
    path = tmp_path / "deaths.xlsx"
    path.write_bytes(_zip(_workbook(_sheet(_header_row() + f"<row>{wide}</row>"))))
    with pytest.raises(InputRefused) as refused:
        read_roster(path, DEATHS)
    assert "A1:APH2" in refused.value.problems[0].message_en  # column 1,100 is APH, row 2


def test_an_ordinary_workbook_is_still_read(tmp_path: Path) -> None:
    path = xlsx.write_xlsx(
        tmp_path / "deaths.xlsx",
        [["姓名", "身份证号", "性别", "死亡日期"], ["张伟", P1, "男", "2025-06-01"]],
    )
    sheet = read_roster(path, DEATHS)
    assert sheet.headers == ["姓名", "身份证号", "性别", "死亡日期"]
    assert sheet.rows == [(2, ["张伟", P1, "男", "2025-06-01"])]


def test_a_directory_placing_a_member_before_the_file_start_is_refused(
    statistician: Any,
) -> None:
    # Found by the reader fuzz (tests/exchange/test_reader_fuzz.py, xlsx mutant 289): a
    # damaged central directory that zipfile reads as a member before the first byte; seeking
    # there raised OSError (a 500) instead of refusing the file.
    data = (Path(__file__).with_name("files") / "member-before-start.xlsx").read_bytes()
    _refused(statistician, "deaths.xlsx", data, "no local header")


def test_a_zip_bomb_is_refused_by_its_declared_size(statistician: Any) -> None:
    data = _raw_zip("xl/worksheets/sheet1.xml", _bomb_stream(600), 600 * MB)
    assert len(data) < 1 * MB
    _refused(statistician, "deaths.xlsx", data, "the workbook unpacks to more than 512 MB (600 MB)")


def test_a_zip_bomb_lying_about_its_size_is_refused_as_soon_as_it_says_more(
    statistician: Any,
) -> None:
    data = _raw_zip("xl/worksheets/sheet1.xml", _bomb_stream(600), 1_000)
    _refused(
        statistician,
        "deaths.xlsx",
        data,
        "it unpacks to another size than the zip&#x27;s directory says",
    )


def test_too_many_shared_strings_are_refused(tmp_path: Path, monkeypatch: Any) -> None:
    members = _workbook(_sheet(_header_row()))
    members["xl/sharedStrings.xml"] = b"<sst>" + b"<si><t>a</t></si>" * 200 + b"</sst>"
    path = tmp_path / "deaths.xlsx"
    path.write_bytes(_zip(members))
    monkeypatch.setattr("renkou.core.spreadsheets.MAX_SHARED_STRINGS", 100)
    with pytest.raises(InputRefused) as refused:
        read_roster(path, DEATHS)
    assert (
        refused.value.problems[0].message_en
        == "the workbook holds 200 shared strings, more than 100"
    )


def test_the_bank_result_reader_refuses_the_far_cell_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "result.xlsx"
    path.write_bytes(far_cell_xlsx())
    with pytest.raises(ResultFileError, match=r"result\.xlsx: .*A1:XFD1048576"):
        read_result(path)


# --- text files --------------------------------------------------------------------------


def test_a_200000_character_field_is_read(tmp_path: Path) -> None:
    note = "长" * 200_000
    path = tmp_path / "deaths.csv"
    path.write_text(
        f"姓名,身份证号,性别,死亡日期,备注\n张伟,{P1},男,2025-06-01,{note}\n", encoding="utf-8"
    )
    sheet = read_roster(path, DEATHS)
    assert sheet.rows == [(2, ["张伟", P1, "男", "2025-06-01", note])]


@override_settings(TASKS=IMMEDIATE)
def test_a_200000_character_field_is_imported_through_the_page(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    long_name = "张" * 200_000
    data = (
        f"姓名,身份证号,性别,死亡日期,备注\n张伟,{P1},男,2025-06-01,{'注' * 200_000}\n"
        f"{long_name},{STRANGER},男,2025-06-02,\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        _upload(statistician, "deaths.csv", data)
    job = Job.objects.get(kind="exchange.import")
    assert job.status == "done", job.result
    imp = RosterImport.objects.get()
    assert imp.rows_staged + imp.rows_quarantined == 2
    assert list(incoming_dir().iterdir()) == []


def test_cr_only_line_endings_are_read_as_rows(tmp_path: Path) -> None:
    path = tmp_path / "deaths.csv"
    path.write_bytes(
        f'姓名,身份证号,性别,死亡日期\r张伟,{P1},男,2025-06-01\r"王\r芳",{STRANGER},女,2025-06-02\r'.encode()
    )
    sheet = read_roster(path, DEATHS)
    assert sheet.headers == ["姓名", "身份证号", "性别", "死亡日期"]
    assert sheet.rows == [
        (2, ["张伟", P1, "男", "2025-06-01"]),
        (3, ["王\r芳", STRANGER, "女", "2025-06-02"]),  # a quoted line break stays in its field
    ]


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
@override_settings(TASKS=IMMEDIATE)
def test_every_line_ending_imports_the_same_rows(
    statistician: Any, django_capture_on_commit_callbacks: Any, ending: str
) -> None:
    lines = [
        "姓名,身份证号,性别,死亡日期",
        f"张伟,{P1},男,2025-06-01",
        f"陌生人,{STRANGER},男,2025-06-02",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        _upload(statistician, "deaths.csv", (ending.join(lines) + ending).encode())
    imp = RosterImport.objects.get()
    assert sorted(
        RosterRow.objects.filter(roster_import=imp).values_list("row_number", flat=True)
    ) == [2, 3]
    assert list(incoming_dir().iterdir()) == []


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("deaths.csv", b"\xff\xfe\x00\xd8", "the file&#x27;s encoding is not recognised"),
        ("deaths.csv", "甲,乙\n1,2\n".encode(), "no header row found"),
        ("deaths.xlsx", b"PK\x03\x04 not really a zip", "the file cannot be read"),
        ("deaths.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "deaths.xls"),
    ],
)
def test_every_refused_upload_is_deleted(
    statistician: Any, name: str, data: bytes, reason: str
) -> None:
    _refused(statistician, name, data, "Nothing was imported", reason)


def test_the_bank_result_reads_cr_only_lines_and_long_reasons(tmp_path: Path) -> None:
    reason = "退" * 200_000
    path = tmp_path / "result.csv"
    path.write_bytes(f"参考号,状态,原因\rR1,成功,\rR2,失败,{reason}\r".encode())
    assert read_result(path) == [(2, "R1", True, ""), (3, "R2", False, reason)]


def test_the_load_files_read_cr_only_lines_and_long_fields(tmp_path: Path) -> None:
    long_header, long_value = "列" * 140_000, "值" * 200_000
    path = tmp_path / "persons.csv"
    path.write_bytes(f"a,{long_header}\r1,{long_value}\r2,x\r".encode())
    assert read_table(path).to_pylist() == [
        {"a": "1", long_header: long_value},
        {"a": "2", long_header: "x"},
    ]
