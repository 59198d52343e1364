"""A fuzz test per roster reader (issue 23): mutated xlsx, xls and csv files go through the
whole import, and each one is either imported (every row it read staged or quarantined)
or refused as a whole with a reason naming the file, leaving nothing; no other exception,
and no crash of the process that asked.

The seeds are real file shapes: a LibreOffice-saved xls (tests/exchange/files), an xlsx
and a GBK csv as offices send them. The mutations are byte-level (flips, cuts, inserted
and repeated pieces, CR/NUL/quote bytes) and, for the xlsx, inside its zip members (so
that the zip's checksums hold and the XML reaches the checks and the reader).
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from renkou.core.problems import InputRefused
from renkou.exchange.models import QuarantinedRow, RosterImport, RosterRow
from renkou.exchange.services import roster_import
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, id_number, today
from tests.exchange.xlsx import write_xlsx

pytestmark = pytest.mark.django_db

FILES = Path(__file__).with_name("files")
# per reader: each costs a reading child (xlsx, xls) and an import; a longer hunt than the
# suite's: RENKOU_FUZZ_MUTANTS=1500 (1,500 per reader passed when this was written)
MUTANTS = int(os.environ.get("RENKOU_FUZZ_MUTANTS") or 30)
HEADER = ["姓名", "身份证号", "性别", "死亡日期", "备注"]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]


def _rows() -> list[list[object]]:
    rows: list[list[object]] = [list(HEADER)]
    for i, name in enumerate(NAMES):
        born = f"19{60 + i}-0{i + 1}-05"
        died = f"2025-0{i + 1}-1{i}"
        rows.append([name, id_number(born, 11 + i), "男" if i % 2 == 0 else "女", died, ""])
    return rows


def _seed(suffix: str, directory: Path) -> bytes:
    if suffix == "xls":
        return (FILES / "hospital-deaths.xls").read_bytes()
    if suffix == "xlsx":
        return write_xlsx(directory / "seed.xlsx", _rows()).read_bytes()
    text = "\r\n".join(",".join(str(c) for c in row) for row in _rows()) + "\r\n"
    return text.encode("gb18030")


SPECIAL = [b"\r", b"\n", b"\x00", b'"', b",", b"\t", b"\xff", b"\xe5", b"<", b"&", b"9" * 12]


def _bytes_mutant(raw: bytes, rng: random.Random) -> bytes:
    """One to four byte-level changes of ``raw``."""
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        at = rng.randrange(len(data))
        how = rng.randrange(6)
        if how == 0:  # flip bits
            data[at] ^= 1 << rng.randrange(8)
        elif how == 1:  # cut the file short
            del data[at:]
        elif how == 2:  # insert a special byte sequence
            data[at:at] = rng.choice(SPECIAL) * rng.randint(1, 300)
        elif how == 3:  # repeat a piece
            piece = bytes(data[at : at + rng.randint(1, 400)])
            data[at:at] = piece * rng.randint(1, 20)
        elif how == 4:  # overwrite with random bytes
            n = rng.randint(1, 64)
            data[at : at + n] = bytes(rng.randrange(256) for _ in range(n))
        else:  # drop a piece
            del data[at : at + rng.randint(1, 200)]
    return bytes(data)


def _xlsx_mutant(raw: bytes, rng: random.Random) -> bytes:
    """A change inside one member of the workbook (its zip rebuilt around it), now and
    then a byte-level change of the zip itself."""
    if rng.random() < 0.25:
        return _bytes_mutant(raw, rng)
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    name = rng.choice(sorted(members))
    text = members[name]
    how = rng.randrange(4)
    if how == 0:
        members[name] = _bytes_mutant(text, rng)
    elif how == 1:  # a cell reference or a number made huge
        members[name] = text.replace(b'r="B', b'r="XFD', 1).replace(b"<v>", b"<v>9" * 3, 1)
    elif how == 2:  # a member removed
        del members[name]
    else:  # a member's content repeated many times
        members[name] = text * rng.randint(2, 50)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return buffer.getvalue()


MUTATE: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "xlsx": _xlsx_mutant,
    "xls": _bytes_mutant,
    "csv": _bytes_mutant,
}


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "csv"])
def test_no_mutated_roster_gets_past_the_import_without_an_outcome(
    county: None, tmp_path: Path, suffix: str
) -> None:
    seed = _seed(suffix, tmp_path)
    township = OrgUnit.objects.get(code=TOWNSHIP_A)
    rng = random.Random(f"renkou-fuzz-{suffix}")
    outcomes: dict[str, int] = {"imported": 0, "refused": 0}
    for index in range(MUTANTS):
        data = MUTATE[suffix](seed, rng)
        path = tmp_path / f"mutant-{index}.{suffix}"
        path.write_bytes(data)
        before = RosterImport.objects.count(), RosterRow.objects.count()
        try:
            result: Any = roster_import(
                path=path,
                kind="hospital_deaths",
                orgunit=township,
                actor="fuzz",
                today=today(),
            )
        except InputRefused as refused:
            outcomes["refused"] += 1
            assert refused.problems, f"mutant {index}: refused without a reason"
            for p in refused.problems:
                assert p.file == path.name, f"mutant {index}: {p}"
                assert p.message_zh and p.message_en, f"mutant {index}: {p}"
            # all or nothing: a refused file leaves no import and no row
            assert (RosterImport.objects.count(), RosterRow.objects.count()) == before
            continue
        outcomes["imported"] += 1
        imp = result.roster_import
        if result.created:
            staged = RosterRow.objects.filter(roster_import=imp).count()
            refused_rows = QuarantinedRow.objects.filter(roster_import=imp)
            quarantined = refused_rows.values("row_number").distinct().count()
            # every row read is staged or quarantined (with one reason or more), never both
            assert imp.rows_total == staged + quarantined, f"mutant {index}"
            assert (imp.rows_staged, imp.rows_quarantined) == (staged, quarantined)
    # The mutants reach both outcomes: a fuzz that only ever refuses tests the refusal.
    assert outcomes["imported"] >= 3 and outcomes["refused"] >= 3, outcomes
    # The seed itself imports whole (or is known as the rows of a mutant that changed only
    # the file's bytes, not its rows): the reader reads this shape when it is intact.
    path = tmp_path / f"seed.{suffix}"
    path.write_bytes(seed)
    result = roster_import(
        path=path, kind="hospital_deaths", orgunit=township, actor="fuzz", today=today()
    )
    assert result.created or result.same_rows
    # staged: the rows whose death date is not after today (a later one is quarantined)
    alive_till = today().isoformat()
    expected = sum(1 for row in _rows()[1:] if str(row[3]) <= alive_till)
    imp = result.roster_import
    assert (imp.rows_total, imp.rows_staged) == (len(NAMES), expected)
