"""The work summary: prose that adapts to the numbers, every appendix number from the cache,
charts, an office's own template, and the PDF rendered to images that are not blank."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from docx import Document
from PIL import Image, ImageStat

from renkou.analytics.indicators import INDICATORS
from renkou.analytics.labels import RATES
from renkou.analytics.models import IndicatorValue
from renkou.reports.prose import Fig, srb_status
from renkou.reports.services import report_write
from tests.analytics.hand_register import COUNTY
from tests.conftest import need

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, *suffixes: str, lang: str = "zh", period: str = "2024") -> list[Path]:
    outputs = [tmp_path / f"summary-{lang}{s}" for s in suffixes]
    report_write(
        kind="summary", code=COUNTY, period=period, lang=lang, outputs=outputs, actor="test"
    )
    return outputs


def text_of(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_the_prose_states_the_cached_figures_and_their_changes(
    register: None, tmp_path: Path
) -> None:
    (docx,) = write(tmp_path, ".docx")
    text = text_of(docx)
    assert "桐庐县2024年人口基本情况" in text
    assert "统计时期 2024 (2024-01-01 – 2024-12-31)，户籍口径" in text and "数据截至" in text
    # 2024: five births, one in 2023 (L1, reported late in 2024)
    assert "2024年全县出生5人，比上期增加4人（增长400.0%）" in text
    assert "男孩2人，女孩3人，出生人口性别比为66.67" in text
    assert "尚不能判断是否处于103–107的正常范围" in text  # five births: the interval is wide
    assert "已婚育龄妇女4人，其中无孩妇女0人，一孩妇女2人，二孩妇女2人，多孩妇女0人" in text
    assert "本期补报往年出生1人" in text
    assert "逻辑准确率" in text
    assert "政策" not in text  # nothing classifies births (DOMAIN.md §9)


def test_every_appendix_number_is_the_cached_figure(register: None, tmp_path: Path) -> None:
    (docx,) = write(tmp_path, ".docx", lang="en")
    table = Document(str(docx)).tables[-1]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    cached = {
        v.indicator: v
        for v in IndicatorValue.objects.filter(orgunit=COUNTY, period="2024", basis="registered")
    }
    assert len(rows) == len([i for i in INDICATORS if i in cached])
    for (_label, value, _count, interval), name in zip(
        rows, [i for i in INDICATORS if i in cached], strict=True
    ):
        v = cached[name]
        if v.value is None:
            assert value == "—"
        elif name in RATES or not float(v.value).is_integer():
            assert float(value) == pytest.approx(v.value, abs=0.05), name
        else:
            assert float(value) == v.value, name
        if v.low is not None:
            low, high = interval.split("–")
            assert float(low) == pytest.approx(v.low, abs=0.005)
            assert float(high) == pytest.approx(v.high, abs=0.005)
    images = Document(str(docx)).inline_shapes
    assert len(images) == 4  # pyramid, births by month, sex ratio by township, fertility


def test_english_prose(register: None, tmp_path: Path) -> None:
    (docx,) = write(tmp_path, ".docx", lang="en")
    text = text_of(docx)
    assert "There were 5 live births, 4 more than in the previous period (up 400.0%)" in text
    assert "too wide to say whether it is within the normal range of 103–107" in text


def test_without_a_previous_period_there_is_no_comparison(register: None, tmp_path: Path) -> None:
    from renkou.analytics.cache import indicators_refresh
    from renkou.analytics.periods import parse

    indicators_refresh(periods=[parse("2024Q3")])
    (docx,) = write(tmp_path, ".docx", period="2024Q3")
    text = text_of(docx)
    assert "2024年第3季度" in text and "比上期" not in text


@pytest.mark.parametrize(
    ("low", "high", "status"),
    [
        (103.5, 106.9, "within"),
        (108.0, 120.0, "above"),
        (90.0, 102.0, "below"),
        (100.0, 110.0, "uncertain"),
        (104.0, 107.5, "uncertain"),
    ],
)
def test_the_sex_ratio_is_within_the_range_only_if_its_interval_is(
    low: float, high: float, status: str
) -> None:
    assert srb_status(Fig(raw=(low + high) / 2, low_raw=low, high_raw=high)) == status
    assert srb_status(Fig(raw=None)) == "none"


def test_an_office_edits_the_wording_in_its_own_template(
    register: None, tmp_path: Path, settings: Any
) -> None:
    own = Path(settings.DATA_DIR) / "report_templates"
    own.mkdir(parents=True)
    (own / "summary.zh-hans.txt").write_text(
        "# 本镇概况\n全年出生{{ f.births }}人，死亡{{ f.deaths }}人。\n", encoding="utf-8"
    )
    (docx,) = write(tmp_path, ".docx")
    assert text_of(docx).split("\n") == ["本镇概况", "全年出生5人，死亡2人。"]


def test_the_pdf_pages_are_not_blank_and_hold_the_text(register: None, tmp_path: Path) -> None:
    need(
        bool(shutil.which("soffice")), "needs LibreOffice: apt-get install libreoffice-writer-nogui"
    )
    need(bool(shutil.which("pdftoppm")), "needs pdftoppm: apt-get install poppler-utils")
    _docx, pdf = write(tmp_path, ".docx", ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    with pdfplumber.open(pdf) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
        pages = len(document.pages)
    flat = text.replace("\n", "")
    assert "桐庐县2024年人口基本情况" in flat and "出生人口性别比为66.67" in flat
    assert pages >= 2
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for image in images:
        grey = Image.open(image).convert("L")
        dark = sum(grey.histogram()[:200])  # pixels clearly darker than paper
        assert dark > 0.002 * grey.width * grey.height, image.name
        assert ImageStat.Stat(grey).stddev[0] > 5, image.name


def test_without_libreoffice_the_pdf_is_refused_before_anything_is_written(
    register: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from renkou.reports.data import ReportError

    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="LibreOffice"):
        report_write(
            kind="summary",
            code=COUNTY,
            period="2024",
            lang="en",
            outputs=[out / "s.docx", out / "s.pdf"],
            actor="test",
        )
    assert not out.exists()
