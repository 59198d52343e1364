"""Long lists on pages: numbered pages that keep the filters, an audited xlsx export of the
same filtered list, and the summary of a bulk action.

How a list view uses it (the audit log, the findings, the worklist and the benefit
decisions, the users list and the change list do)::

    from renkou.web.lists import Column, ListPage, export_requested, list_export, paginate

    def thing_list(request):
        qs = ...filtered and scoped queryset, ordered...
        if export_requested(request):
            return list_export(
                request,
                name="things",                      # file name and audit object type
                rows=qs.iterator(chunk_size=2000),  # the same rows as the pages, unpaged
                columns=[
                    Column(_("Name"), lambda t: t.name),
                    Column(_("Identity number"), lambda t: t.id_masked, id_number=True),
                ],
                filters={"unit": unit, "rule": rule},  # what the user filtered by
            )
        page = paginate(request, qs, per_page=50)
        return render(request, "app/things.html", {"page": page, "rows": page.rows})

and in the template, below the list::

    {% include "web/_pager.html" with page=page export=True %}

``paginate`` reads ``?page=N`` (bad or out-of-range numbers show the nearest page), counts
the filtered rows once and fetches one page; ``ListPage.query`` is the request's query
string without ``page`` (and without ``export``), so every link of the pager keeps the
filters. The pager wraps at phone width. With ``export=True`` it offers the xlsx of the
whole filtered list (``?<filters>&export=xlsx``).

``list_export`` writes one sheet: a header row, then one row per item. Every cell that is
text is written as text, never as a formula (a name such as ``=1+1`` or ``@SUM(A1)`` stays
that string; ``renkou.core.cells`` writes every cell); numbers are numbers. A column
marked ``id_number=True`` is masked (``110105********002X``), and any other cell that
looks like a whole identity number is masked too, so an export never carries one in
clear. Each export is one audit row (``list.export``): who, which list, which filters,
how many rows.

``BulkResult`` collects what a bulk action did item by item (each item is still checked
and audited by its own service call); ``bulk_messages`` tells the user how many were done
and which were refused and why.
"""

from __future__ import annotations

import datetime
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from renkou.core.audit import audit_record
from renkou.core.bulk import BulkResult
from renkou.core.cells import workbook, write_cell
from renkou.core.idnumber import mask

__all__ = [
    "BulkResult",
    "Column",
    "ListPage",
    "bulk_messages",
    "export_requested",
    "list_export",
    "paginate",
    "selected_ids",
]

PER_PAGE = 50
EXPORT_PARAM = "export"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A whole identity number (18 characters, or an old 15-digit one) inside a cell.
_ID_LIKE = re.compile(r"(?<![0-9])([0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
# Page links shown around the current page (the first and last are always shown).
_AROUND = 2


@dataclass
class ListPage:
    """One page of a filtered list, with what the pager needs."""

    rows: list[Any]
    number: int
    per_page: int
    total: int
    query: str  # the filters, without page/export, url-encoded

    @property
    def pages(self) -> int:
        """How many pages the filtered list has (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the page's first row (0 on an empty list)."""
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.number * self.per_page, self.total)

    @property
    def numbers(self) -> list[int | None]:
        """Page numbers to link: first, last and those around the current one; ``None``
        where numbers are left out."""
        shown = {1, self.pages} | set(
            range(max(1, self.number - _AROUND), min(self.pages, self.number + _AROUND) + 1)
        )
        out: list[int | None] = []
        previous = 0
        for n in sorted(shown):
            if n - previous > 1:
                out.append(None)
            out.append(n)
            previous = n
        return out

    def url(self, number: int) -> str:
        """The query string of page ``number`` with the same filters."""
        return f"?{self.query}&page={number}" if self.query else f"?page={number}"

    @property
    def export_url(self) -> str:
        """The query string of the xlsx export of the whole filtered list."""
        return f"?{self.query}&{EXPORT_PARAM}=xlsx" if self.query else f"?{EXPORT_PARAM}=xlsx"


def filters_query(request: HttpRequest) -> str:
    """The request's query string without the page number and the export switch."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop(EXPORT_PARAM, None)
    return query.urlencode()


def paginate(
    request: HttpRequest, rows: Any, *, per_page: int = PER_PAGE, total: int | None = None
) -> ListPage:
    """The page ``?page=N`` of ``rows`` (an ordered queryset or a list).

    ``total`` is the number of rows when the view has counted them already (the change list
    counts per village), so that they are not counted twice."""
    if total is None:
        total = rows.count() if hasattr(rows, "count") and not isinstance(rows, list) else len(rows)
    pages = max(1, math.ceil(total / per_page))
    text = request.GET.get("page", "")
    number = min(max(int(text), 1), pages) if text.isdigit() else 1
    start = (number - 1) * per_page
    return ListPage(
        rows=list(rows[start : start + per_page]),
        number=number,
        per_page=per_page,
        total=total,
        query=filters_query(request),
    )


@dataclass(frozen=True)
class Column:
    """One column of an export: its header and how to get the cell from a row."""

    header: str | Promise
    value: Callable[[Any], Any]
    id_number: bool = False  # masked whatever the value
    width: int = 16


def export_requested(request: HttpRequest) -> bool:
    """Whether the request asks for the xlsx of the list instead of a page."""
    return request.GET.get(EXPORT_PARAM, "") == "xlsx"


def cell_value(value: Any, *, id_number: bool = False) -> Any:
    """What goes into a cell: numbers stay numbers, everything else becomes text, with
    identity numbers masked."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if id_number:
        return mask(text) if text else ""
    return _ID_LIKE.sub(lambda m: mask(m.group(1)), text)


def xlsx_bytes(
    columns: Sequence[Column], rows: Iterable[Any], *, sheet: str = ""
) -> tuple[bytes, int]:
    """The sheet as xlsx bytes, and how many rows it holds (the header not counted)."""
    buffer = io.BytesIO()
    # Text is text: never a formula, a link or a number guessed from a string.
    book = workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet((sheet or "list")[:31])
    bold = book.add_format({"bold": True})
    for c, column in enumerate(columns):
        write_cell(ws, 0, c, str(column.header), bold)
        ws.set_column(c, c, column.width)
    n = 0
    for n, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            write_cell(ws, n, c, cell_value(column.value(row), id_number=column.id_number))
    ws.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue(), n


def list_export(
    request: HttpRequest,
    *,
    name: str,
    rows: Iterable[Any],
    columns: Sequence[Column],
    filters: dict[str, Any],
) -> HttpResponse:
    """The filtered list as an xlsx download, audited as ``list.export``."""
    content, count = xlsx_bytes(columns, rows, sheet=name)
    shown = {k: v for k, v in filters.items() if v not in ("", None)}
    audit_record(
        actor=request.user,
        action="list.export",
        object_type=name,
        after={"filters": shown, "rows": count, "path": request.path},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
    return response


def bulk_messages(request: HttpRequest, result: BulkResult) -> None:
    """Tell the user how many items were done and which were refused, and why."""
    if result.done:
        messages.success(
            request,
            ngettext("%(n)d item done.", "%(n)d items done.", len(result.done))
            % {"n": len(result.done)},
        )
    for item, reason in result.refused:
        messages.error(
            request, _("%(item)s refused: %(reason)s") % {"item": item, "reason": reason}
        )
    if not result.done and not result.refused:
        messages.error(request, _("Choose at least one item."))


def selected_ids(request: HttpRequest, name: str = "ids", limit: int = 500) -> list[int]:
    """The distinct whole-number ids ticked in a bulk form (at most ``limit``)."""
    out: list[int] = []
    for text in request.POST.getlist(name):
        text = text.strip()
        if text.isdigit() and int(text) not in out:
            out.append(int(text))
    return out[:limit]
