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
SAMPLE_KINDS = (
    FactKind.BANK_ACCOUNTS,
    FactKind.CERTIFICATES,
    FactKind.DISABILITY,
    FactKind.APPLICATIONS,
)


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


def _years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` earlier (29 February: the 28th in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _card(pk: int) -> str:
    return luhn_completed(f"623059{pk:09d}")


def _living(area: str) -> Any:
    return Person.objects.filter(
        code_prefix_q("residence_orgunit_id", area), status="alive"
    ).exclude(id_number_enc="")


def sample_rows(kind: str, area: str, today: datetime.date) -> list[list[Any]]:
    """A sample file of ``kind`` for the persons of ``area`` (the columns of ``headers``):
    accounts of the payees the area's benefits wait for, of the parents of young children
    and of persons aged 59 and over; only-child certificates of mothers of one child under
    18; disability certificates; the mothers' applications for their children under three
    registered in the area."""
    protector = default_protector()
    number = protector.decrypt
    rows: list[list[Any]] = [headers(kind)]
    if kind == FactKind.BANK_ACCOUNTS:
        # first the payees the area's benefits wait for (eligible in a cycle, applicants,
        # certificate holders), then parents of young children and persons aged 59 and over
        from renkou.benefits.models import ChildcareApplication, Decision, OnlyChildCertificate

        young = _years_before(today, 4)
        old = _years_before(today, 59)
        waiting = [
            Decision.objects.filter(
                code_prefix_q("cycle__orgunit_id", area), outcome="eligible"
            ).values_list("person_id", flat=True),
            ChildcareApplication.objects.filter(
                code_prefix_q("child__hukou_orgunit_id", area)
            ).values_list("applicant_id", flat=True),
            OnlyChildCertificate.objects.filter(
                code_prefix_q("holder__hukou_orgunit_id", area), revoked_on__isnull=True
            ).values_list("holder_id", flat=True),
            _living(area)
            .filter(birth_date__gte=young)
            .exclude(mother__isnull=True)
            .values_list("mother_id", flat=True),
        ]
        wanted: dict[int, None] = {}
        for ids in waiting:
            wanted.update(dict.fromkeys(ids.order_by()[:SAMPLE_ROWS]))
        first = list(wanted)[:SAMPLE_ROWS]
        found = {
            pk: (name, enc)
            for pk, name, enc in Person.objects.filter(
                code_prefix_q("residence_orgunit_id", area)
                | code_prefix_q("hukou_orgunit_id", area),
                status="alive",
                pk__in=first,
                birth_date__lte=_years_before(today, 18),  # payees are adults
            )
            .exclude(id_number_enc="")
            .values_list("pk", "name", "id_number_enc")
        }
        people = [(pk, *found[pk]) for pk in first if pk in found]
        more = SAMPLE_ROWS - len(people)
        if more > 0:
            people += list(
                _living(area)
                .filter(birth_date__lte=old)
                .exclude(pk__in=list(found))
                .order_by("pk")
                .values_list("pk", "name", "id_number_enc")[:more]
            )
        for pk, name, enc in people:
            rows.append([name, number(enc), "县农商银行", _card(pk), ""])
    elif kind == FactKind.CERTIFICATES:
        limit = _years_before(today, 17)
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
    elif kind == FactKind.APPLICATIONS:
        rows.extend(_applications(area, today))
    return rows


def _applications(area: str, today: datetime.date) -> list[list[Any]]:
    """The mothers' applications for their children under three who have none yet, for
    this year's months of each child's window, made a month ago (or at the birth, if
    later)."""
    from renkou.benefits.models import ChildcareApplication
    from renkou.benefits.months import month_start
    from renkou.benefits.services import childcare_window

    number = default_protector().decrypt
    year_first, year_last = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 1)
    children = (
        Person.objects.filter(code_prefix_q("hukou_orgunit_id", area), status="alive")
        .exclude(id_number_enc="")
        .filter(birth_date__gt=_years_before(today, 3), mother__status="alive")
        .filter(code_prefix_q("mother__residence_orgunit_id", area))
        .exclude(mother__id_number_enc="")
        .exclude(pk__in=ChildcareApplication.objects.values("child_id"))
        .select_related("mother")
        .order_by("pk")[:SAMPLE_ROWS]
    )
    rows = []
    for child in children:
        window = childcare_window(child)
        if window is None:
            continue
        first, last = max(window[0], year_first), min(window[1], year_last)
        if first > last or first > month_start(today):
            continue
        applied = max(child.birth_date, today - datetime.timedelta(days=30))
        mother = child.mother
        rows.append(
            [
                mother.name,
                number(mother.id_number_enc),
                child.name,
                number(child.id_number_enc),
                applied.isoformat(),
                f"{first:%Y-%m}",
                f"{last:%Y-%m}",
            ]
        )
    return rows


def sample_xlsx(kind: str, area: str, today: datetime.date) -> tuple[bytes, int]:
    """The sample file's bytes and its data rows' count."""
    rows = sample_rows(kind, area, today)
    return _xlsx(rows), len(rows) - 1


def result_sample_xlsx(batch: Any) -> bytes:
    """A bank's result for ``batch`` as the payment pages read it (参考号, 状态, 原因):
    every line paid but every 25th, failed as an account closed."""
    rows: list[list[Any]] = [["参考号", "状态", "原因"]]
    references = batch.payments.order_by("pk").values_list("reference", flat=True)
    for i, reference in enumerate(references):
        failed = i % 25 == 24
        rows.append([reference, "失败" if failed else "成功", "账户已销户" if failed else ""])
    return _xlsx(rows)
