"""Reads of the exchange app: the worklist of a linked import, its quarantined rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from renkou.core import crypto
from renkou.exchange.models import QuarantinedRow, RosterImport

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


def quarantine_write(roster_import: RosterImport, path: Path) -> int:
    """Write the quarantined rows with their original cells and a reason column (CSV for Excel).

    The file holds original values, identity numbers included: callers audit the export.
    """
    protector = crypto.default_protector()
    entries = list(
        QuarantinedRow.objects.filter(roster_import=roster_import).order_by("row_number", "id")
    )
    originals = [json.loads(protector.decrypt(q.original_enc)) for q in entries]
    headers: list[str] = []
    for original in originals:
        headers += [h for h in original if h not in headers]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["行号 row", *headers, "列 column", "原因 reason", "reason"])
        for q, original in zip(entries, originals, strict=False):
            writer.writerow(
                [
                    q.row_number,
                    *(original.get(h, "") for h in headers),
                    q.column,
                    q.reason_zh,
                    q.reason_en,
                ]
            )
    return len(entries)
