"""Rosters stream (issue 23): read, validated and written in batches, with the outcome of
one batch, all in one transaction (a file unreadable midway leaves nothing)."""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from renkou.core.models import AuditLog
from renkou.core.problems import InputRefused
from renkou.core.spreadsheets import WorkbookReader
from renkou.exchange.models import QuarantinedRow, RosterImport, RosterRow
from renkou.exchange.services import roster_import
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, id_number, today
from tests.exchange.xlsx import write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "性别", "出生日期", "公民身份号码", "民族"]
ROWS = 230  # data rows: five batches of 50, the last one of 30
REFUSED = {7, 120, 222}  # data rows without a name (required): 222 is in the last batch


def _rows() -> list[list[str]]:
    """230 persons of distinct identity numbers born on distinct days; REFUSED lack a name."""
    rows = [HEADER]
    for i in range(ROWS):
        born = (date(1960, 1, 1) + timedelta(days=97 * i)).isoformat()
        sex = "男" if i % 2 else "女"
        name = "" if i in REFUSED else f"测试{i:03d}"
        rows.append([name, sex, born, id_number(born, 100 + i), "汉族"])
    return rows


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _import(path: Path, steps: list[str] | None = None) -> Any:
    return roster_import(
        path=path,
        kind="police_register",
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
        progress=lambda _f, step: steps.append(step) if steps is not None else None,
    )


def _outcome(imp: RosterImport) -> tuple[Any, ...]:
    staged = sorted(
        (r.row_number, sorted(r.values.items()), sorted(r.id_hashes.items()))
        for r in RosterRow.objects.filter(roster_import=imp)
    )
    refused = sorted(
        (q.row_number, q.column, q.code) for q in QuarantinedRow.objects.filter(roster_import=imp)
    )
    counts = (imp.rows_total, imp.rows_staged, imp.rows_quarantined)
    return counts, staged, refused, imp.rows_fingerprint


def _forget(imp: RosterImport) -> None:
    """Remove an import so that the same file can be imported again (tests only)."""
    RosterRow.objects.filter(roster_import=imp).delete()
    QuarantinedRow.objects.filter(roster_import=imp).delete()
    imp.delete()


@pytest.mark.parametrize(
    ("suffix", "spread"),
    [("csv", False), ("xlsx", False), ("xlsx", True)],
    ids=["csv", "xlsx", "xlsx-in-workers"],
)
def test_a_roster_of_several_batches_imports_as_one_batch_would(
    county: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, spread: bool
) -> None:
    if spread:  # batches after the first validated in worker processes
        monkeypatch.setattr("renkou.exchange.services.PARALLEL_AFTER_ROWS", 0)
    path = tmp_path / f"police.{suffix}"
    if suffix == "csv":
        _csv(path, _rows())
    else:
        write_xlsx(path, _rows())
    monkeypatch.setattr("renkou.exchange.reading.BATCH_ROWS", 50)
    steps: list[str] = []
    small = _import(path, steps)
    assert small.created
    assert steps.count("validate") == 5  # one report per batch: 50, 50, 50, 50, 30
    counts, staged, refused, fingerprint = _outcome(small.roster_import)
    # data row i is spreadsheet row i + 2 (the header is row 1)
    assert counts == (ROWS, ROWS - len(REFUSED), len(REFUSED))
    assert [r[0] for r in refused] == [i + 2 for i in sorted(REFUSED)]
    assert {r[2] for r in refused} == {"required"}
    assert [r[0] for r in staged] == [i + 2 for i in range(ROWS) if i not in REFUSED]
    _forget(small.roster_import)

    monkeypatch.setattr("renkou.exchange.reading.BATCH_ROWS", 10_000)
    whole = _import(path)
    assert whole.created and _outcome(whole.roster_import) == (
        counts,
        staged,
        refused,
        fingerprint,
    )
    # the other format, read in batches again, holds the same rows
    monkeypatch.setattr("renkou.exchange.reading.BATCH_ROWS", 50)
    other = tmp_path / "police-again.csv"
    if suffix == "csv":
        other = write_xlsx(tmp_path / "police-again.xlsx", _rows())
    else:
        _csv(other, _rows())
    again = _import(other)
    assert (again.created, again.same_rows) == (False, True)
    assert again.roster_import.pk == whole.roster_import.pk
    assert RosterImport.objects.count() == 1


def test_the_reading_child_sends_its_rows_in_batches(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "police.xlsx", _rows())
    reader = WorkbookReader(path, "police.xlsx", batch=50)
    sizes = [len(batch) for batch in reader.batches()]
    assert sizes == [50, 50, 50, 50, 31]  # the header and 230 rows
    assert reader.size == ROWS + 1


def _nothing_kept() -> bool:
    return not (
        RosterImport.objects.exists()
        or RosterRow.objects.exists()
        or QuarantinedRow.objects.exists()
        or AuditLog.objects.filter(action="exchange.import").exists()
    )


def test_a_text_file_unreadable_in_its_last_batch_leaves_nothing(
    county: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its encoding is told from its first bytes (UTF-8); a stray byte in row 226 is met
    # after some batches were written (the decoder reads 8 KB ahead of the rows): the whole
    # import is rolled back.
    monkeypatch.setattr("renkou.exchange.reading.BATCH_ROWS", 50)
    monkeypatch.setattr("renkou.exchange.reading.HEAD_BYTES", 2_000)
    rows = _rows()
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    data = text.getvalue().encode("utf-8")
    at = data.index(rows[224][0].encode())
    path = tmp_path / "police.csv"
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    steps: list[str] = []
    with pytest.raises(InputRefused) as refused:
        _import(path, steps)
    assert steps.count("validate") >= 2  # batches were validated and staged before
    (problem,) = refused.value.problems
    assert problem.code == "file_encoding" and problem.file == "police.csv"
    assert _nothing_kept()


def test_a_truncated_workbook_is_refused_whole(
    county: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("renkou.exchange.reading.BATCH_ROWS", 50)
    whole = write_xlsx(tmp_path / "whole.xlsx", _rows()).read_bytes()
    cut = tmp_path / "police.xlsx"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(InputRefused) as refused:
        _import(cut)
    assert refused.value.problems[0].code == "file_unreadable"
    # a sheet cut off after row 200 inside an intact zip: calamine refuses it whole too
    with zipfile.ZipFile(tmp_path / "whole.xlsx") as book:
        members = {n: book.read(n) for n in book.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet[: sheet.index(b'<row r="200"')]
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(damaged, "w") as book:
        for member, data in members.items():
            book.writestr(member, data)
    with pytest.raises(InputRefused) as refused:
        _import(damaged)
    assert refused.value.problems[0].code == "file_unreadable"
    assert refused.value.problems[0].file == "damaged.xlsx"
    assert _nothing_kept()


@pytest.mark.django_db(transaction=True)
def test_two_files_of_the_same_rows_imported_at_once_make_one_import(
    county: None, tmp_path: Path
) -> None:
    # Both imports are created before either knows its fingerprint; they meet at the end
    # (PostgreSQL: the unique fingerprint makes the later one fail and return the winner;
    # SQLite: the later one waits for the write lock and finds the winner's fingerprint).
    import threading

    from django.db import connection

    paths = [_csv(tmp_path / "police.csv", _rows()), write_xlsx(tmp_path / "p.xlsx", _rows())]
    meet = threading.Barrier(2)
    results: list[Any] = []

    def run(path: Path) -> None:
        def progress(_fraction: float, step: str) -> None:
            if step == "save":
                with contextlib.suppress(threading.BrokenBarrierError):
                    meet.wait(timeout=3)  # SQLite: the other waits for the lock; go on

        try:
            results.append(
                roster_import(
                    path=path,
                    kind="police_register",
                    orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
                    actor="test",
                    today=today(),
                    progress=progress,
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted((r.created, r.same_rows) for r in results) == [(False, True), (True, False)]
    (imp,) = RosterImport.objects.all()
    assert {r.roster_import.pk for r in results} == {imp.pk}
    assert RosterRow.objects.count() == ROWS - len(REFUSED)
    assert QuarantinedRow.objects.count() == len(REFUSED)


def test_a_staged_rows_digest_from_its_stored_json_is_the_digest_of_its_values() -> None:
    """The import digests a staged row from the JSON it stores (made once); the digest must be
    the one of ``{"values": …, "ids": …}`` spelled out, or files imported before would no
    longer be recognised by their rows."""
    import hashlib
    import json

    from renkou.exchange.services import _as_json, _staged_print

    values = {"name": "张伟", "birth_date": "1990-03-01", "birth_date_month_only": True, "z": 1}
    hashes = {"id_number": "ab" * 32, "repairs": {"mother_id": ["cd" * 32, "ef" * 32]}}
    spelled = json.dumps(
        {"values": values, "ids": hashes}, sort_keys=True, ensure_ascii=False, default=str
    )
    expected = int.from_bytes(hashlib.sha256(spelled.encode()).digest(), "big")
    assert _staged_print(_as_json(values), _as_json(hashes)) == expected
    assert _staged_print(_as_json({}), _as_json({})) == int.from_bytes(
        hashlib.sha256(b'{"ids": {}, "values": {}}').digest(), "big"
    )
