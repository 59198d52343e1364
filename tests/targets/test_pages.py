"""The target pages in Chinese (by default) and English: the list, the agreement form and
its refusals, copying last year's, the scorecard, the trend and the xlsx export."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from renkou.core.models import AuditLog
from renkou.targets.models import Agreement
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, login_as
from tests.targets.build import agreement, cache_cells
from tests.targets.test_scorecard import CELLS

pytestmark = pytest.mark.django_db
# English words of the target pages that a Chinese page must not show
ENGLISH = re.compile(
    r"\b(Targets?|Scores?|Ranking|Watch|Rank|Unit|Weight|Floor|Indicator|Period|Trend|"
    r"Download|higher|lower|met|distinguishable|below|beyond|Linear|Pass|Basis|Year|Save)\b"
)


def text_of(html: str) -> str:
    """The words a reader sees: tags, scripts and attribute values left out."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def client(user: Any, language: str = "") -> Client:
    c = login_as(Client(), user)
    if language:
        c.post("/i18n/setlang/", {"language": language, "next": "/"})
    return c


def chinese(html: str) -> None:
    found = ENGLISH.search(text_of(html))
    assert not found, text_of(html)[max(0, found.start() - 80) : found.end() + 80]


def form_data(rows: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "year": "2025",
        "total_weight": "100",
        "watch_line": "60",
        "note": "",
        "t-TOTAL_FORMS": str(len(rows)),
        "t-INITIAL_FORMS": "0",
        "t-MIN_NUM_FORMS": "0",
        "t-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"t-{i}-{key}"] = value
    data.update(kw)
    return data


ROW = {
    "indicator": "crude_birth_rate",
    "basis": "registered",
    "target_value": "10",
    "direction": "higher",
    "weight": "100",
    "rule": "linear",
    "floor": "6",
    "lenient": "on",
}


def test_the_county_sets_its_targets_through_the_form(staff: dict[str, Any]) -> None:
    c = client(staff["admin"])
    home = c.get("/targets/")
    assert home.status_code == 200
    html = home.content.decode()
    assert "目标管理" in html and "复制上年" in html
    chinese(html)
    page = c.get(f"/targets/new/?unit={COUNTY}&year=2025")
    assert page.status_code == 200
    chinese(page.content.decode())
    # rows for a whole agreement at once (it is saved only when the weights add up)
    assert 'name="t-TOTAL_FORMS" value="20"' in page.content.decode()
    # a floor above the target when higher is better: the form comes back saying why
    bad = c.post(f"/targets/new/?unit={COUNTY}", form_data([{**ROW, "floor": "12"}]))
    assert bad.status_code == 200
    assert "底线12应低于目标值10" in bad.content.decode()
    assert not Agreement.objects.exists()
    good = c.post(f"/targets/new/?unit={COUNTY}", form_data([ROW]))
    deal = Agreement.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/targets/{deal.pk}/"
    assert deal.targets.get().floor == 6


def test_a_township_cannot_open_another_townships_form(staff: dict[str, Any]) -> None:
    c = client(staff["stat_a"])
    assert c.get(f"/targets/new/?unit={TOWNSHIP_A}&year=2025").status_code == 200
    assert c.get(f"/targets/new/?unit={TOWNSHIP_B}&year=2025").status_code == 403
    assert c.post(f"/targets/new/?unit={TOWNSHIP_B}", form_data([ROW])).status_code == 403
    assert c.post(f"/targets/new/?unit={COUNTY}", form_data([ROW])).status_code == 403
    assert not Agreement.objects.exists()


def test_copying_last_years_agreement_with_one_click(staff: dict[str, Any]) -> None:
    agreement(staff["admin"], COUNTY, year=2024)
    c = client(staff["admin"])
    response = c.post("/targets/copy/", {"unit": COUNTY, "year": "2025"})
    copied = Agreement.objects.get(year=2025)
    assert response.status_code == 302 and response["Location"] == f"/targets/{copied.pk}/edit/"
    assert copied.targets.count() == 4
    again = c.post("/targets/copy/", {"unit": COUNTY, "year": "2025"}, follow=True)
    assert "2025年已有责任书" in again.content.decode()


@pytest.mark.parametrize("language", ["", "en"])
def test_the_scorecard_trend_and_export(staff: dict[str, Any], language: str) -> None:
    deal = agreement(staff["admin"], COUNTY)
    cache_cells(CELLS)
    c = client(staff["admin"], language)
    page = c.get(f"/targets/{deal.pk}/?period=2025")
    assert page.status_code == 200
    html = page.content.decode()
    if language == "en":
        assert "Ranking" in html and "Watch list" in html and "not distinguishable" in html
        assert "Score 57.14 is below the watch line 60." in html
    else:
        assert "排名" in html and "警示名单" in html and "不可区分" in html
        chinese(html)
    assert "104.00–119.00" in html  # A's SRB interval
    ten = c.get(f"/targets/{deal.pk}/?period=202503D1")
    assert ten.status_code == 200
    if not language:
        assert "2025年3月上旬" in ten.content.decode()
        chinese(ten.content.decode())
    trend = c.get(f"/targets/{deal.pk}/trend/?kind=dekad")
    assert trend.status_code == 200
    if not language:
        chinese(trend.content.decode())
    assert c.get(f"/targets/{deal.pk}/?period=2025Q9").status_code == 400
    edit = c.get(f"/targets/{deal.pk}/edit/")
    assert edit.status_code == 200
    if not language:
        chinese(edit.content.decode())
    export = c.get(f"/targets/{deal.pk}/export.xlsx?period=2025")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    ranking = book.worksheets[0]
    assert [ranking.cell(3, 2).value, ranking.cell(3, 4).value] == ["甲镇", 75]
    assert round(ranking.cell(4, 4).value, 2) == 57.14
    assert AuditLog.objects.filter(action="targets.scorecard.export").count() == 1


def test_the_scorecard_is_not_shown_outside_the_area(staff: dict[str, Any]) -> None:
    deal = agreement(staff["admin"], COUNTY)
    own = agreement(staff["stat_a"], TOWNSHIP_A)
    assert client(staff["stat_b"]).get(f"/targets/{own.pk}/").status_code == 404
    assert client(staff["stat_a"]).get(f"/targets/{deal.pk}/").status_code == 404
    assert client(staff["rep_a1"]).get(f"/targets/{own.pk}/").status_code == 404
    assert client(staff["stat_a"]).get(f"/targets/{own.pk}/").status_code == 200
    assert client(staff["auditor"]).get(f"/targets/{own.pk}/edit/").status_code == 403


def test_the_scorecard_reads_its_figures_in_a_few_queries(
    staff: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    deal = agreement(staff["admin"], COUNTY)
    cache_cells(CELLS)
    c = client(staff["admin"])
    # session, user, roles, agreement, targets, units, the cache's figures, jobs, notices:
    # the same whatever the number of units and targets
    with django_assert_max_num_queries(16):
        assert c.get(f"/targets/{deal.pk}/?period=2025").status_code == 200
    with django_assert_max_num_queries(16):
        assert c.get(f"/targets/{deal.pk}/trend/?kind=dekad").status_code == 200
    with django_assert_max_num_queries(16):
        assert c.get("/targets/").status_code == 200
