"""Files for the facts page: an empty template of each kind (its headers), and, while the
installation still has its demo users, sample files made from the demo county's register
so that a new office can try an import and a whole cycle before its real files come."""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.db.models import Count

from renkou.benefits.facts_import import KINDS, luhn_completed
from renkou.benefits.models_facts import FactKind
from renkou.core import cells
from renkou.core.crypto import default_protector
from renkou.core.models import UserProfile
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry.models import Person

SAMPLE_ROWS = 5000
SAMPLE_KINDS = (FactKind.BANK_ACCOUNTS, FactKind.CERTIFICATES, FactKind.DISABILITY)


def headers(kind: str) -> list[str]:
    """The headers of a kind's file: each column by its first name, required ones first."""
    columns = KINDS[kind].columns
    return [c.synonyms[0] for c in columns if c.required] + [
        c.synonyms[0] for c in columns if not c.required
    ]


def _xlsx(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = cells.workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("sheet1")
    for r, row in enumerate(rows):
        cells.write_row(sheet, r, 0, [str(v) for v in row])
    book.close()
    return buffer.getvalue()


def template_xlsx(kind: str) -> bytes:
    """An xlsx of the kind's headers only."""
    return _xlsx([headers(kind)])


def demo_installation() -> bool:
    """Whether the installation still has its demo users (``renkou user demo --remove``
    ends this): the sample files are offered only then."""
    return UserProfile.objects.filter(demo=True, user__is_active=True).exists()


def _card(pk: int) -> str:
    return luhn_completed(f"623059{pk:09d}")


def _living(area: str) -> Any:
    return Person.objects.filter(
        code_prefix_q("residence_orgunit_id", area), status="alive"
    ).exclude(id_number_enc="")


def sample_rows(kind: str, area: str, today: datetime.date) -> list[list[Any]]:
    """A sample file of ``kind`` for the persons of ``area`` (the columns of ``headers``):
    accounts of the parents of young children and of persons aged 59 and over;
    only-child certificates of mothers of one child under 18; disability certificates."""
    protector = default_protector()
    number = protector.decrypt
    rows: list[list[Any]] = [headers(kind)]
    if kind == FactKind.BANK_ACCOUNTS:
        young = today.replace(year=today.year - 4)
        old = today.replace(year=today.year - 59)
        parents = set(
            _living(area)
            .filter(birth_date__gte=young)
            .exclude(mother__isnull=True)
            .values_list("mother_id", flat=True)[:SAMPLE_ROWS]
        )
        people = _living(area).filter(pk__in=parents) | _living(area).filter(birth_date__lte=old)
        for pk, name, enc in people.order_by("pk").values_list("pk", "name", "id_number_enc")[
            :SAMPLE_ROWS
        ]:
            rows.append([name, number(enc), "县农商银行", _card(pk), ""])
    elif kind == FactKind.CERTIFICATES:
        limit = today.replace(year=today.year - 17)
        only = (
            Person.objects.filter(code_prefix_q("residence_orgunit_id", area))
            .exclude(mother__isnull=True)
            .values("mother_id")
            .annotate(n=Count("id"))
            .filter(n=1)
            .values_list("mother_id", flat=True)
        )
        children = (
            _living(area)
            .filter(mother_id__in=only, birth_date__gte=limit, mother__status="alive")
            .filter(code_prefix_q("mother__residence_orgunit_id", area))  # holders in the area
            .select_related("mother")
            .order_by("pk")[:SAMPLE_ROWS]
        )
        for child in children:
            mother = child.mother
            if not mother.id_number_enc:
                continue
            issued = child.birth_date + datetime.timedelta(days=365)
            rows.append(
                [
                    mother.name,
                    number(mother.id_number_enc),
                    child.name,
                    number(child.id_number_enc),
                    f"TL{child.pk:07d}",
                    min(issued, today).isoformat(),
                ]
            )
    elif kind == FactKind.DISABILITY:
        everyone = list(
            _living(area).order_by("pk").values_list("pk", "name", "id_number_enc")[:50_000]
        )
        for i, (pk, name, enc) in enumerate(everyone[::97][:500]):
            rows.append(
                [name, number(enc), str(1 + i % 4), f"C{pk:09d}", "2015-03-01", "", "县残联"]
            )
    return rows


def sample_xlsx(kind: str, area: str, today: datetime.date) -> tuple[bytes, int]:
    """The sample file's bytes and its data rows' count."""
    rows = sample_rows(kind, area, today)
    return _xlsx(rows), len(rows) - 1
