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
    assert "统计时期 2024年 (2024-01-01 – 2024-12-31)，户籍口径" in text and "数据截至" in text
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


def test_the_summary_states_benefits_paid_and_completeness_against_rosters(
    register: None, tmp_path: Path
) -> None:
    import datetime
    from decimal import Decimal

    from renkou.benefits.models import Cycle, Entitlement
    from renkou.exchange.linking import roster_link
    from renkou.exchange.services import roster_import
    from renkou.orgunits.models import OrgUnit
    from renkou.registry.models import Person
    from tests.builders import id_number

    county = OrgUnit.objects.get(code=COUNTY)
    people = {p.person_ref: p for p in Person.objects.all()}
    cycle = Cycle.objects.create(programme="rural_reward", year=2024, orgunit=county)
    childcare = Cycle.objects.create(programme="childcare", year=2024, orgunit=county)

    def owed(c: Cycle, ref: str, month: str, amount: str, status: str) -> None:
        Entitlement.objects.create(
            cycle=c,
            programme=c.programme,
            person=people[ref],
            month=datetime.date.fromisoformat(month),
            amount=Decimal(amount),
            status=status,
        )

    owed(cycle, "D1", "2024-01-01", "960.00", "paid")  # annual: January
    owed(cycle, "M1", "2024-01-01", "960.00", "paid")
    owed(cycle, "M2", "2024-01-01", "960.00", "due")  # not paid yet: not counted
    owed(cycle, "M3", "2023-01-01", "960.00", "paid")  # another year
    owed(childcare, "C1", "2024-04-01", "300.00", "paid")
    owed(childcare, "C1", "2024-05-01", "300.00", "paid")
    owed(childcare, "C2", "2024-05-01", "300.00", "failed")  # the bank refused it

    m1, m2 = (id_number(b, n) for b, n in (("1994-05-10", 2), ("1990-08-20", 6)))
    births = tmp_path / "births.csv"
    births.write_text(
        f"婴儿性别,出生日期,母亲姓名,母亲身份证号\n男,2024-03-31,人0,{m1}\n女,2024-04-01,人2,{m2}\n",
        encoding="utf-8",
    )
    imp = roster_import(
        path=births, kind="hospital_births", orgunit=county, actor="test"
    ).roster_import
    roster_link(roster_import=imp, actor="test")

    (docx,) = write(tmp_path, ".docx")
    text = text_of(docx)
    assert "六、奖励扶助与补贴发放" in text and "八、目标管理考核" in text and "十、图表" in text
    # two persons paid 960 each for 2024; one child paid two months of 300
    assert "已发放：农村部分计划生育家庭奖励扶助2人，1920.00元；育儿补贴1人，600.00元。" in text
    assert "合计2520.00元" in text
    # Five births in the register in 2024 against two on a roster of two days: this gave
    # 250 %; the roster does not cover the year, so no rate, and the sentence says why.
    assert (
        "医院出生名册2人，其中本系统已登记2人；"
        "所收名册仅覆盖2024-03-31至2024-04-01，未覆盖整个期间，不可比。"
    ) in text
    assert "250" not in text and "出生登记完整率" not in text
    assert "公安死亡注销名册" not in text  # no police list received

    (en,) = write(tmp_path, ".docx", lang="en")
    english = text_of(en)
    assert "6. Benefits paid" in english and "In all 2520.00 yuan." in english
    assert (
        "Rural reward and assistance, 2 persons, 1920.00 yuan; Childcare subsidy, 1 person"
        in english
    )
    assert (
        "the hospitals listed 2 births, of which 2 are in the register. The rosters received "
        "cover only 2024-03-31 to 2024-04-01, not the whole period: not comparable."
    ) in english
    assert "250" not in english


def test_the_summary_states_completeness_of_a_year_roster_with_its_interval(
    register: None, tmp_path: Path
) -> None:
    import math

    from renkou.exchange.linking import roster_link
    from renkou.exchange.services import roster_import
    from renkou.orgunits.models import OrgUnit
    from tests.builders import id_number

    # mothers M1, M2, M6 and W1 of the hand register (ids by its numbering): M1's C1 and
    # M2's C2 are in the register (reported after 3 days and 1 day); M6 and W1 had no child
    # then. The roster runs from January to December: it covers the year.
    m1, m2, m6, w1 = (
        id_number(b, n)
        for b, n in (("1994-05-10", 2), ("1990-08-20", 6), ("1998-03-03", 26), ("1995-12-31", 30))
    )
    births = tmp_path / "births.csv"
    births.write_text(
        "婴儿性别,出生日期,母亲姓名,母亲身份证号\n"
        f"女,2024-01-05,人14,{w1}\n男,2024-03-31,人0,{m1}\n"
        f"女,2024-04-01,人2,{m2}\n男,2024-12-20,人12,{m6}\n",
        encoding="utf-8",
    )
    county = OrgUnit.objects.get(code=COUNTY)
    imp = roster_import(
        path=births, kind="hospital_births", orgunit=county, actor="test"
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    # 2 of 4 found: 50 %, Wilson interval by hand
    z = 1.959963984540054
    k, n = 2, 4
    p = k / n
    centre, spread = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = ((centre + s * spread) / (1 + z * z / n) for s in (-1, 1))
    low_text, high_text = f"{100 * low:.1f}", f"{100 * high:.1f}"
    assert (low_text, high_text) == ("15.0", "85.0")

    (docx,) = write(tmp_path, ".docx")
    assert (
        f"医院出生名册4人，其中本系统已登记2人，出生登记完整率50.0%（{low_text}–{high_text}），"
        "其中出生30日内登记的占50.0%。"
    ) in text_of(docx)
    (en,) = write(tmp_path, ".docx", lang="en")
    assert (
        "the hospitals listed 4 births, of which 2 are in the register: a birth registration "
        f"completeness of 50.0% ({low_text}–{high_text}%; 50.0% registered within 30 days"
    ) in text_of(en)


def test_without_payments_or_rosters_the_summary_says_so(register: None, tmp_path: Path) -> None:
    (docx,) = write(tmp_path, ".docx")
    text = text_of(docx)
    assert "2024年没有已发放的奖励扶助金或补贴" in text
    assert "本期未收到医院或公安名册，暂无登记完整率" in text
    assert "2024年没有登记信访件和热线来电" in text


def test_the_summary_states_the_cases_and_their_rates(register: None, tmp_path: Path) -> None:
    import datetime
    import uuid

    from renkou.cases.services import case_accept, case_close, case_register
    from renkou.orgunits.models import OrgUnit
    from tests.builders import user_with_role

    officer = user_with_role("cases-officer", "county_admin", COUNTY)
    county = OrgUnit.objects.get(code=COUNTY)
    today = datetime.date(2025, 1, 10)

    def case(channel: str, received: str) -> Any:
        return case_register(
            token=uuid.uuid4().hex,
            channel=channel,
            category="consultation",
            received_on=datetime.date.fromisoformat(received),
            orgunit=county,
            petitioner_name="来访人",
            request="咨询",
            actor=officer,
            today=today,
        )

    # 2024: two visits, one call to the hotline, one letter; 2023: one visit (not counted)
    visit, late, call = (
        case("visit", "2024-03-01"),
        case("visit", "2024-05-01"),
        case("hotline", "2024-06-01"),
    )
    case("letter", "2024-12-20")
    case("visit", "2023-12-31")
    # by hand: the visit accepted and answered in time (satisfied); the second visit
    # accepted a day late (05-17 after 05-16) and answered in time (not satisfied); the
    # call accepted in time, answered after its 5 days (not reached); the letter waits.
    for c, accepted, closed, satisfaction in (
        (visit, "2024-03-05", "2024-04-01", "satisfied"),
        (late, "2024-05-17", "2024-06-01", "dissatisfied"),
        (call, "2024-06-02", "2024-06-20", "not_reached"),
    ):
        case_accept(
            case=c, accepted_on=datetime.date.fromisoformat(accepted), actor=officer, today=today
        )
        case_close(
            case=c,
            reply="已答复",
            closed_on=datetime.date.fromisoformat(closed),
            satisfaction=satisfaction,
            actor=officer,
            today=today,
        )
    # received 4; accepted on time 2 (visit, call) = 50.0 %; closed 3 = 75.0 %; closed on
    # time 2 (visit, late) = 50.0 %; satisfied 1 of the 2 reached = 50.0 %
    (docx,) = write(tmp_path, ".docx")
    text = text_of(docx)
    assert (
        "2024年共收到群众来信1件，接待来访2次，电话咨询0次，12356热线来电1件，网上信访0件，合计4件。"
        "按期受理率50.0%，办结率75.0%，按期办结率50.0%，群众满意率50.0%。"
    ) in text
    assert "件数不足100件" in text
    (en,) = write(tmp_path, ".docx", lang="en")
    english = text_of(en)
    assert "1 letter, 2 visits, 0 telephone enquiries, 1 12356 hotline call" in english
    assert "4 cases in all. Accepted on time 50.0%, closed 75.0%" in english


def test_the_summary_states_the_targets_scores_and_watch_list(
    register: None, tmp_path: Path
) -> None:
    from renkou.orgunits.models import OrgUnit
    from renkou.targets.services import TargetSpec, agreement_save
    from tests.builders import user_with_role

    admin = user_with_role("targets-admin", "county_admin", COUNTY)
    agreement_save(
        unit=OrgUnit.objects.get(code=COUNTY),
        year=2024,
        total_weight=100,
        watch_line=60,
        targets=[
            TargetSpec("births", 3, "higher", 50, "pass_fail"),
            TargetSpec("deaths", 1, "lower", 50, "pass_fail"),
        ],
        actor=admin,
    )
    # by hand, 2024, registered basis: township A (甲镇) 4 births (C1, C2 and the twins of
    # M3, registered in A1) and 1 death (D1): 50 + 50 = 100; township B (乙乡) 1 birth (I1;
    # L1 was born in 2023) and 1 death (I1): 0 + 50 = 50, below the line of 60 and last
    (docx,) = write(tmp_path, ".docx")
    text = text_of(docx)
    assert "八、目标管理考核" in text and "十、图表" in text
    assert (
        "2024年度，桐庐县对所辖2个单位签订目标管理责任书，设考核指标2项，总分100分。"
        "按2024年数据考核，平均得分75.00分，最高为甲镇（100.00分），最低为乙乡（50.00分）。"
        "列入警示名单的有1个：乙乡（50.00分；得分50，低于警示线60。排名末位（共2个）。"
        "出生人数：1，未达到目标值3。）。"
    ) in text
    (en,) = write(tmp_path, ".docx", lang="en")
    english = text_of(en)
    assert "8. Targets" in english
    assert (
        "the average score is 75.00; the highest 甲镇 (100.00), the lowest 乙乡 (50.00)" in english
    )
    assert "Live births: 1 does not meet the target 3." in english
