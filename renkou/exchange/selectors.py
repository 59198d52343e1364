"""Reads of the exchange app: the worklist of a linked import, its quarantined rows."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from renkou.core import cells, crypto
from renkou.core.files import file_write_bytes
from renkou.exchange.models import QuarantinedRow, RosterImport
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry.models import Person

WORKLIST_COLUMNS = ["row", "outcome", "probability", "person_ref", "conflicts"]


def worklist(roster_import: RosterImport) -> list[dict[str, Any]]:
    """One entry per staged row: row number, outcome, probability, matched ``person_ref``."""
    rows = roster_import.rows.order_by("row_number").values(
        "row_number", "outcome", "probability", "person__person_ref", "evidence"
    )
    return [
        {
            "row": r["row_number"],
            "outcome": r["outcome"],
            "probability": r["probability"],
            "person_ref": r["person__person_ref"] or "",
            "conflicts": ",".join(sorted((r["evidence"] or {}).get("conflicts", {}))),
        }
        for r in rows
    ]


def quarantine_table(roster_import: RosterImport) -> tuple[list[str], list[list[object]]]:
    """The quarantined rows as a table: row number, original cells, column, reasons zh and en.

    The table holds original values, identity numbers included: callers audit the export.
    """
    protector = crypto.default_protector()
    entries = list(
        QuarantinedRow.objects.filter(roster_import=roster_import).order_by("row_number", "id")
    )
    originals = [json.loads(protector.decrypt(q.original_enc)) for q in entries]
    headers: list[str] = []
    for original in originals:
        headers += [h for h in original if h not in headers]
    rows: list[list[object]] = [
        [q.row_number, *(original.get(h, "") for h in headers), q.column, q.reason_zh, q.reason_en]
        for q, original in zip(entries, originals, strict=False)
    ]
    return ["行号 row", *headers, "列 column", "原因 reason", "reason"], rows


def quarantine_bytes(roster_import: RosterImport, fmt: str) -> tuple[bytes, int]:
    """The quarantine as an xlsx workbook or a CSV for Excel (UTF-8 with BOM); (file, rows).

    Every cell is written as text, so that identity numbers keep their digits.
    """
    header, rows = quarantine_table(roster_import)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = cells.CsvWriter(buffer)
        writer.writerow(header)
        writer.writerows(rows)  # text that could be a formula is quoted: ``'=1+1``
        return buffer.getvalue().encode("utf-8-sig"), len(rows)
    out = io.BytesIO()
    book = cells.workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("隔离 quarantine")
    bold = book.add_format({"bold": True})
    cells.write_row(sheet, 0, 0, header, bold)
    for index, row in enumerate(rows, start=1):
        cells.write_cell(sheet, index, 0, int(row[0]))  # type: ignore[call-overload]
        cells.write_row(sheet, index, 1, [str(value) for value in row[1:]])
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue(), len(rows)


def quarantine_write(roster_import: RosterImport, path: Path) -> int:
    """Write the quarantined rows to ``path`` (.xlsx, else CSV); returns how many."""
    data, n = quarantine_bytes(roster_import, "xlsx" if path.suffix.lower() == ".xlsx" else "csv")
    file_write_bytes(path, data)  # whole or not at all, owner-only (renkou.core.files)
    return n


# Roster kinds whose list the register is compared with the other way round too.
REVERSE_KINDS = ("police_deaths",)


def register_not_in_roster(roster_import: RosterImport) -> QuerySet[Person] | None:
    """Deaths in the register that the roster does not list (the police cancelled no
    registration for them): the receiving area, the roster's span of death dates.

    None for kinds that are not compared this way.
    """
    if roster_import.kind not in REVERSE_KINDS:
        return None
    dates = sorted(
        d[:10] for d in roster_import.rows.values_list("values__death_date", flat=True) if d
    )
    if not dates:
        return Person.objects.none()
    listed = roster_import.rows.exclude(person=None).values_list("person_id", flat=True)
    code = roster_import.orgunit_id
    return (
        Person.objects.filter(
            code_prefix_q("residence_orgunit_id", code) | code_prefix_q("hukou_orgunit_id", code),
            death_date__gte=dates[0],
            death_date__lte=dates[-1],
        )
        .exclude(pk__in=listed)
        .order_by("death_date", "id")
    )
