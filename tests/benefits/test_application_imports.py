"""Childcare applications (申领) in bulk (issue 18, items 1 and 4): a file of applications
read by the exchange's machinery, each row checked by the rules one application on the
person's page is checked by, the good ones recorded and paid from, the others refused
with row, column and reason; the same file again, or the same applications in another
file, change nothing."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest

from renkou.benefits.facts_import import fact_import
from renkou.benefits.models import ChildcareApplication
from renkou.benefits.models_facts import FactKind
from renkou.exchange.values import a_month
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, id_number, today

pytestmark = pytest.mark.django_db
D = datetime.date
HEADER = [
    "申领人姓名",
    "申领人身份证号",
    "子女姓名",
    "子女身份证号",
    "申领日期",
    "起始月份",
    "终止月份",
]

# the families' persons (tests/benefits/families.py): name 人<ref>, number from birth and seq
T_M = ("人T_M", id_number("1995-05-15", 18))  # mother of T_1, T_2, K_C, J_C
T_1 = ("人T_1", id_number("2024-12-31", 13))  # months 2025-01 to 2027-11
T_2 = ("人T_2", id_number("2025-01-01", 20))  # months 2025-01 to 2027-12
K_C = ("人K_C", id_number("2022-03-10", 15))  # months 2025-01 to 2025-02 (3 on 2025-03-10)
J_C = ("人J_C", id_number("2025-06-15", 22))  # months 2025-06 to 2028-05
RR_F = ("人RR_F", id_number("1960-01-10", 17))  # nobody's parent here
H_M = ("人H_M", id_number("1980-03-03", 34))
H_C = ("人H_C", id_number("2006-09-01", 36))  # born 2006: no month of the subsidy


def _row(applicant, child, applied: str, first: str, last: str) -> list[str]:
    return [applicant[0], applicant[1], child[0], child[1], applied, first, last]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def _import(path: Path):
    return fact_import(
        path=path,
        kind=FactKind.APPLICATIONS,
        orgunit=OrgUnit.objects.get(code=COUNTY),
        actor="test",
        today=today(),
    ).fact_import


def _refused(imp) -> list[tuple[int, str, str]]:
    return [(p.row_number, p.column, p.code) for p in imp.problems.order_by("row_number", "pk")]


def test_a_month_is_read_from_the_shapes_clerks_write() -> None:
    for text in ("2025-03", "2025/3", "2025年3月", "202503", "2025-03-17", "2025年3月"):
        assert a_month(text) == D(2025, 3, 1), text
    assert a_month(D(2027, 11, 30)) == D(2027, 11, 1)  # a month to come is read too


def test_each_bad_application_is_refused_and_the_good_ones_are_recorded(tmp_path) -> None:
    load_families(tmp_path / "families")
    path = _csv(
        tmp_path / "applications.csv",
        [
            _row(T_M, T_2, "2025-02-01", "2025-01", "2025-12"),  # 2: recorded
            _row(T_M, K_C, "2025-02-01", "2025-01", "2025-06"),  # 3: ends 2025-02
            _row(RR_F, T_1, "2025-02-01", "2025-01", "2025-06"),  # 4: not a parent
            _row(T_M, J_C, "2025-06-20", "2025-12", "2025-06"),  # 5: months reversed
            _row(T_M, T_1, "2025-01-10", "2025-01", "2025-06"),  # 6: and 7 contradict
            _row(T_M, T_1, "2025-01-10", "2025-01", "2025-09"),  # 7
            _row(T_M, T_2, "2025-02-01", "2025-01", "2025-12"),  # 8: row 2 again
            _row(H_M, H_C, "2025-02-01", "2025-01", "2025-06"),  # 9: no month at all
            _row(("李四", T_M[1]), J_C, "2025-06-20", "2025-06", "2025-12"),  # 10: name
            _row(T_M, J_C, "2025-06-20", "2025-13", "2025-12"),  # 11: month 13
            _row(T_M, J_C, "2025-07-05", "2025-06", "2025-12"),  # 12: applied tomorrow+
        ],
    )
    imp = _import(path)
    assert _refused(imp) == [
        (3, "终止月份", "application_outside_window"),
        (4, "申领人身份证号", "application_not_parent"),
        (5, "终止月份", "application_months_order"),
        (6, "子女身份证号", "fact_conflict"),
        (7, "子女身份证号", "fact_conflict"),
        (8, "子女身份证号", "fact_duplicate"),
        (9, "子女身份证号", "application_no_month"),
        (10, "申领人姓名", "fact_name_mismatch"),
        (11, "起始月份", "roster_bad_month"),
        (12, "申领日期", "future_date"),
    ]
    reasons = {p.row_number: (p.reason_zh, p.reason_en) for p in imp.problems.all()}
    assert "2025-01 至 2025-02" in reasons[3][0] and "2025-01 to 2025-02" in reasons[3][1]
    assert (imp.rows_total, imp.rows_applied, imp.rows_quarantined) == (11, 1, 10)
    (app,) = ChildcareApplication.objects.all()
    mother, child = Person.objects.get(person_ref="T_M"), Person.objects.get(person_ref="T_2")
    assert (app.applicant_id, app.child_id, app.applied_on) == (mother.pk, child.pk, D(2025, 2, 1))
    assert (app.first_month, app.last_month, app.source_import_id) == (
        D(2025, 1, 1),
        D(2025, 12, 1),
        imp.pk,
    )


def test_again_changes_nothing_and_months_are_applied_for_once(tmp_path) -> None:
    load_families(tmp_path / "families")
    first = _csv(tmp_path / "a.csv", [_row(T_M, T_2, "2025-02-01", "2025-01", "2025-12")])
    imp = _import(first)
    assert imp.rows_applied == 1
    again = fact_import(
        path=first,
        kind=FactKind.APPLICATIONS,
        orgunit=OrgUnit.objects.get(code=COUNTY),
        actor="test",
        today=today(),
    )
    assert (again.created, again.fact_import.pk) == (False, imp.pk)
    assert ChildcareApplication.objects.count() == 1
    later = _import(
        _csv(
            tmp_path / "b.csv",
            [
                _row(T_M, T_2, "2025-02-01", "2025-01", "2025-12"),  # the same application
                _row(T_M, T_2, "2025-06-01", "2025-06", "2026-03"),  # months applied for
                _row(T_M, J_C, "2025-06-20", "2025-06", "2025-12"),  # a new one
            ],
        )
    )
    # rows 2 and 3 are the same child in one file: both refused, as two contradicting rows;
    # row 4 is recorded
    assert later.rows_applied == 1
    assert _refused(later) == [
        (2, "子女身份证号", "fact_conflict"),
        (3, "子女身份证号", "fact_conflict"),
    ]
    overlap = _import(
        _csv(tmp_path / "c.csv", [_row(T_M, T_2, "2025-06-01", "2025-06", "2026-03")])
    )
    assert _refused(overlap) == [(2, "起始月份", "application_overlap")]
    same = _import(
        _csv(
            tmp_path / "d.csv",
            [
                _row(T_M, T_2, "2025-02-01", "2025-01", "2025-12"),  # recorded already
                _row(T_M, J_C, "2025-06-20", "2025-06", "2025-12"),  # recorded already
                _row(T_M, T_1, "2025-01-10", "2025-01", "2025-06"),  # new
            ],
        )
    )
    assert (same.rows_applied, same.rows_unchanged, same.rows_quarantined) == (1, 2, 0)
    assert ChildcareApplication.objects.count() == 3
