"""The public notice (公示) list: one xlsx sheet per village, eligible persons only.

The notice is published: it lists the persons to be approved, names and identity numbers
masked, with the category and amount. Who is not eligible, and every reason, is personal
information and stays on the internal draft list.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import BinaryIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from renkou.benefits.choices import Outcome
from renkou.benefits.models import Cycle
from renkou.core.cells import workbook, write_row
from renkou.core.files import file_write
from renkou.core.masking import mask_name
from renkou.orgunits.models import OrgUnit


def on_notice(decisions: QuerySet) -> QuerySet:
    """The decisions a notice publishes: the eligible persons, by village and name."""
    return (
        decisions.filter(outcome=Outcome.ELIGIBLE)
        .select_related("person")
        .order_by("village_id", "person__name", "person_id")
    )


def notice_rows(cycle: Cycle, decisions: QuerySet | None = None) -> dict[str, list[list[str]]]:
    """Per village code: masked name, masked identity number, category, amount.

    ``decisions`` narrows the list (the villages of a user's area); default: the whole cycle.
    """
    out: dict[str, list[list[str]]] = defaultdict(list)
    chosen = on_notice(decisions if decisions is not None else cycle.decisions.all())
    for d in chosen.iterator(chunk_size=2000):
        out[d.village_id or ""].append(
            [
                mask_name(d.person.name),
                d.person.id_number_masked,
                category_label(d.category),
                str(d.amount),
            ]
        )
    return out


def category_label(category: str) -> str:
    """Special assistance's category in words (other programmes have none)."""
    return {
        "death": _("death of the only child"),
        "disability": _("disability of the only child"),
    }.get(category, category)


def notice_write(cycle: Cycle, path: Path | BinaryIO, decisions: QuerySet | None = None) -> int:
    """Write the notice list (one sheet per village) with its notice period; returns rows.

    Villages without an eligible person have no sheet.

    A path is written whole or not at all (``renkou.core.files``); a stream as it is."""
    if isinstance(path, Path):

        def write(target: Path) -> int:
            with target.open("wb") as fh:
                return notice_write(cycle, fh, decisions)

        return int(file_write(path, write).result)
    rows = notice_rows(cycle, decisions)
    names = dict(OrgUnit.objects.filter(code__in=list(rows)).values_list("code", "name"))
    # Names are text, never formulas (renkou.core.cells writes every cell).
    book = workbook(path, {"in_memory": True})
    header = [
        _("name"),
        _("identity number"),
        _("category"),
        _("amount"),
    ]
    total = 0
    for code, lines in sorted(rows.items()):
        sheet = book.add_worksheet(f"{code or '-'} {names.get(code, '')}"[:31])
        period = _("public notice %(start)s to %(end)s") % {
            "start": cycle.notice_from or "",
            "end": cycle.notice_until or "",
        }
        write_row(sheet, 0, 0, [f"{cycle.get_programme_display()} {cycle.year}", period])
        write_row(sheet, 1, 0, header)
        for r, line in enumerate(lines, start=2):
            write_row(sheet, r, 0, line)
        sheet.set_column(0, 1, 20)
        total += len(lines)
    book.close()
    return total
