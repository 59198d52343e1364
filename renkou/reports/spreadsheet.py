"""Laying the forms out as an xlsx workbook (one sheet per form) and as CSV.

Numbers are written as numbers with a display format carrying the unit (``0.00"‰"``),
never as text; additive totals are SUM formulas with their checked value cached in the
cell (so readers that do not calculate see the same number); each sheet prints on A4
landscape, fitted to one page wide, with the header rows repeated.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_rowcol_to_cell

from renkou.core.cells import CsvWriter, workbook, write_cell
from renkou.reports.forms import Form

A4 = 9
HEADER_ROW = 5  # 0-based row of the column headers


def _number_format(decimals: int, unit: str) -> str:
    base = "#,##0" if decimals == 0 else "#,##0." + "0" * decimals
    return f'{base}"{unit}"' if unit in {"‰", "%"} else base


def write_xlsx(forms: list[Form], path: Path, *, as_of: str) -> None:
    """Write the forms to ``path`` (one sheet each)."""
    book = workbook(str(path), {"nan_inf_to_errors": True})
    try:
        title_fmt = book.add_format({"bold": True, "font_size": 14, "align": "center"})
        meta_fmt = book.add_format({"font_size": 10})
        head_fmt = book.add_format(
            {"bold": True, "border": 1, "text_wrap": True, "align": "center", "valign": "vcenter"}
        )
        label_fmt = book.add_format({"border": 1})
        total_label = book.add_format({"border": 1, "bold": True})
        note_fmt = book.add_format({"font_size": 9, "italic": True})
        cache: dict[tuple[int, str, bool, bool], object] = {}

        def num(decimals: int, unit: str, *, bold: bool = False, italic: bool = False) -> object:
            key = (decimals, unit, bold, italic)
            if key not in cache:
                cache[key] = book.add_format(
                    {
                        "border": 1,
                        "num_format": _number_format(decimals, unit),
                        "bold": bold,
                        "italic": italic,
                    }
                )
            return cache[key]

        for index, form in enumerate(forms, start=1):
            sheet = book.add_worksheet(f"{index} {form.title}"[:31])
            width = len(form.columns)
            sheet.merge_range(0, 0, 0, width, "", title_fmt)
            write_cell(sheet, 0, 0, form.title, title_fmt)
            write_cell(sheet, 1, 0, _("Reporting unit: %(unit)s") % {"unit": form.unit}, meta_fmt)
            write_cell(sheet, 2, 0, _("Period: %(period)s") % {"period": form.period}, meta_fmt)
            write_cell(
                sheet,
                3,
                0,
                _("Basis: %(basis)s · data as of %(as_of)s")
                % {"basis": form.basis, "as_of": as_of},
                meta_fmt,
            )
            write_cell(sheet, 4, 0, form.measure, meta_fmt)
            write_cell(sheet, HEADER_ROW, 0, form.first_header, head_fmt)
            sheet.set_row(HEADER_ROW, 48)
            sheet.set_column(0, 0, 18)
            sheet.set_column(1, width, 11)
            for c, col in enumerate(form.columns, start=1):
                write_cell(sheet, HEADER_ROW, c, col.header, head_fmt)
            first = HEADER_ROW + 1
            body = [r for r in form.rows if r.kind != "total"]
            for r, row in enumerate(form.rows, start=first):
                is_total = row.kind == "total"
                write_cell(sheet, r, 0, row.label, total_label if is_total else label_fmt)
                for c, col in enumerate(form.columns, start=1):
                    value = row.values[c - 1]
                    italic = bool(row.small and row.small[c - 1])
                    fmt = num(col.decimals, col.unit, bold=is_total, italic=italic)
                    if is_total and col.additive and body:
                        top = xl_rowcol_to_cell(first, c)
                        bottom = xl_rowcol_to_cell(first + len(body) - 1, c)
                        sheet.write_formula(r, c, f"=SUM({top}:{bottom})", fmt, value or 0)
                    elif value is None:
                        write_cell(sheet, r, c, None, fmt)
                    else:
                        write_cell(sheet, r, c, value, fmt)
            line = first + len(form.rows) + 1
            for note in form.notes:
                write_cell(sheet, line, 0, note, note_fmt)
                line += 1
            sheet.set_landscape()
            sheet.set_paper(A4)
            sheet.fit_to_pages(1, 0)
            sheet.repeat_rows(HEADER_ROW)
            sheet.center_horizontally()
            sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
            sheet.set_footer("&C&P / &N")
            sheet.freeze_panes(first, 1)
    finally:
        book.close()


def _csv_value(value: float | None, decimals: int) -> Decimal | float | str:
    """A figure as a number with its decimals (a Decimal keeps them: ``1.50``); a number,
    so that a negative figure stays ``-2.5`` and is not quoted as text could be."""
    if value is None:
        return ""
    if not math.isfinite(value):
        return value
    if decimals == 0 and float(value).is_integer():
        return int(value)
    return Decimal(f"{value:.{max(decimals, 1)}f}")


def write_csv(forms: list[Form], *, as_of: str) -> str:
    """The forms as one CSV text: each form's title lines, header, rows and notes."""
    out = io.StringIO()
    writer = CsvWriter(out)
    for form in forms:
        writer.writerow([form.title])
        writer.writerow([_("Reporting unit: %(unit)s") % {"unit": form.unit}])
        writer.writerow([_("Period: %(period)s") % {"period": form.period}])
        writer.writerow(
            [_("Basis: %(basis)s · data as of %(as_of)s") % {"basis": form.basis, "as_of": as_of}]
        )
        writer.writerow([form.measure])
        writer.writerow([form.first_header, *(c.header for c in form.columns)])
        for row in form.rows:
            writer.writerow(
                [
                    row.label,
                    *(
                        _csv_value(v, c.decimals)
                        for v, c in zip(row.values, form.columns, strict=True)
                    ),
                ]
            )
        for note in form.notes:
            writer.writerow([note])
        writer.writerow([])
    return out.getvalue()
