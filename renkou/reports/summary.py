"""The work summary (工作总结, 基本情况): prose from an editable template, charts, appendix;
written as Word (python-docx) and converted to PDF by LibreOffice.

The template is a text file per language, rendered by Django's template engine:
``summary.zh-hans.txt`` / ``summary.en.txt`` in ``templates/reports/``, or an office's own
copy of the same name in ``DATA_DIR/report_templates/`` (looked up first). After rendering,
each non-empty line is one paragraph; a line ``# text`` is the title, ``## text`` a
heading, ``[chart NAME]`` places a chart, ``[table appendix]`` the appendix table.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from renkou.analytics import labels
from renkou.analytics.labels import RATES, label
from renkou.analytics.names import FERTILE_GROUPS, INDICATORS, LAST_AGE_GROUP, group_label
from renkou.analytics.periods import Period
from renkou.benefits.choices import programme_label
from renkou.core.files import scratch_directory
from renkou.reports import charts
from renkou.reports.data import ReportData, ReportError
from renkou.reports.forms import _basis_label, _header_period
from renkou.reports.prose import Fig, figures, number, srb_status

APP_TEMPLATES = Path(__file__).parent / "templates" / "reports"
CHARTS = ("pyramid", "births_by_month", "srb_by_unit", "fertility_by_age")
PDF_TIMEOUT = 120


class ToolMissing(ReportError):
    """An external program the PDF needs is not installed."""


def template_engine() -> Engine:
    """Django's engine over the office's templates first, then the shipped ones."""
    return Engine(dirs=[str(Path(settings.DATA_DIR) / "report_templates"), str(APP_TEMPLATES)])


def _as_of(data: ReportData) -> str:
    as_of = data.as_of
    return timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else "—"


def context(data: ReportData) -> dict[str, Any]:
    """What the template can write about."""
    mine = figures(data.values, data.previous)
    other = figures(data.other_basis, {})
    registered = mine if data.basis == "registered" else other
    resident = other if data.basis == "registered" else mine
    srb = mine["sex_ratio_at_birth"]
    quality = data.quality[0] if data.quality else None
    return {
        "unit": data.unit,
        "sub_units": len(data.children),
        "period": data.period,
        "period_text": _header_period(data),
        "period_name": period_name(data.period),
        "unit_word": unit_word(data.unit.name),
        "previous_period": data.previous_period,
        "has_previous": bool(data.previous),
        "basis": data.basis,
        "basis_label": _basis_label(data.basis),
        "as_of": _as_of(data),
        "stale": data.stale,
        "f": mine,
        "registered": registered,
        "resident": resident,
        "srb_status": srb_status(srb, data.srb_band),
        "srb_band": data.srb_band,
        "srb_band_text": f"{data.srb_band[0]:g}–{data.srb_band[1]:g}",
        "quality": quality,
        "logic_accuracy": Fig(quality.logic_accuracy_percent, 2) if quality else Fig(None),
        "completeness": Fig(quality.completeness_percent, 2) if quality else Fig(None),
        "registration": registration(data),
        "benefits": [
            {
                "label": programme_label(line.programme),
                "persons": Fig(line.persons),
                "amount": Fig(float(line.amount), 2),
            }
            for line in data.benefits
        ],
        "benefits_total": Fig(float(sum(line.amount for line in data.benefits)), 2),
        "floating": floating_figures(data),
        "cases": cases_figures(data),
        "targets": targets_figures(data),
        "health": health_figures(data),
    }


def health_figures(data: ReportData) -> dict[str, Any]:
    """The health services for the template: per rate (``health.coverage``,
    ``.early_followup``, ``.outcome_followup``, ``.high_risk``, ``.screening_coverage``,
    ``.positive_followup``, ``.premarital``) its per cent with interval and ``<rate>_n``,
    ``<rate>_d`` its counts; ``health.any`` (any step counted)."""
    rates = data.health
    if rates is None:
        return {"any": False}
    out: dict[str, Any] = {}
    for key, rate in rates.named():
        interval = rate.interval
        out[key] = Fig(
            rate.value,
            2,
            low_raw=interval[0] if interval else None,
            high_raw=interval[1] if interval else None,
        )
        out[f"{key}_n"] = Fig(rate.numerator)
        out[f"{key}_d"] = Fig(rate.denominator)
    out["any"] = any(rate.numerator for _key, rate in rates.named()) or bool(
        rates.premarital.denominator
    )
    return out


def floating_figures(data: ReportData) -> dict[str, Any]:
    """Collaboration over the floating population, for the template: ``floating.arrivals``
    (arrivals from outside in the period), ``.notified`` (notified in time), ``.notice_rate``
    (通报率, %), ``.requests`` (verification requests received), ``.answered``,
    ``.reply_rate`` (协查反馈率, %) and ``.on_time_rate`` (反馈及时率, %)."""
    rates = data.floating
    if not rates:
        return {"any": False}
    notice, reply, on_time = rates["notice"], rates["reply"], rates["on_time"]
    return {
        "any": bool(notice.denominator or reply.denominator),
        "arrivals": Fig(notice.denominator),
        "notified": Fig(notice.numerator),
        "notice_rate": Fig(notice.percent, 1),
        "requests": Fig(reply.denominator),
        "answered": Fig(reply.numerator),
        "reply_rate": Fig(reply.percent, 1),
        "on_time_rate": Fig(on_time.percent, 1),
    }


def cases_figures(data: ReportData) -> dict[str, Any]:
    """Petitions and hotline cases for the template: ``cases.received`` and one count per
    channel (``cases.letter``, ``.visit``, ``.phone``, ``.hotline``, ``.online``), each rate
    in per cent with its interval (``cases.closed``, ``.closed.low`` …) and ``cases.small``
    (fewer than 100 cases: rates to be read with care)."""
    rates = data.cases
    out: dict[str, Any] = {k: Fig(v) for k, v in data.case_channels.items()}
    out["received"] = Fig(rates.received if rates else 0)
    out["small"] = bool(rates) and 0 < rates.received < 100
    for key in ("accepted_on_time", "closed", "closed_on_time", "satisfaction"):
        rate = getattr(rates, key) if rates else None
        interval = rate.interval if rate else None
        out[key] = Fig(
            rate.value if rate else None,
            1,
            low_raw=interval[0] if interval else None,
            high_raw=interval[1] if interval else None,
        )
    return out


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def targets_figures(data: ReportData) -> dict[str, Any]:
    """Target agreements for the template. ``targets.own`` (the agreement the unit set for
    its sub-units): ``year``, ``units`` scored, ``count`` of targets, ``total``, ``average``,
    ``top`` and ``bottom`` (name and score), ``watched`` (name, score and reasons of each
    unit on the watch list); ``targets.mine`` (the parent's agreement that scores the unit):
    ``by`` (the parent's name), ``score``, ``rank`` and ``of``; ``targets.any``."""
    own, parent = data.targets
    out: dict[str, Any] = {"any": bool(own or parent), "own": None, "mine": None}
    if own is not None and own.rows:
        ranked = [r for r in own.rows if r.score.total is not None]
        out["own"] = {
            "year": own.agreement.year,
            "units": len(own.rows),
            "count": len(own.targets),
            "total": f"{own.agreement.total_weight:g}",
            "average": _score(own.average),
            "scored": bool(ranked),
            "top": {"name": ranked[0].unit.name, "score": _score(ranked[0].score.total)}
            if ranked
            else None,
            "bottom": {"name": ranked[-1].unit.name, "score": _score(ranked[-1].score.total)}
            if ranked
            else None,
            "watched": [
                {"name": r.unit.name, "score": _score(r.score.total), "reasons": r.reasons}
                for r in own.watch_list
            ],
        }
    if parent is not None:
        row = next((r for r in parent.rows if r.unit.code == data.unit.code), None)
        if row is not None:
            out["mine"] = {
                "by": parent.agreement.orgunit.name,
                "year": parent.agreement.year,
                "score": _score(row.score.total),
                "rank": row.rank,
                "of": sum(1 for r in parent.rows if r.rank is not None),
                "watched": row.watched,
            }
    return out


def registration(data: ReportData) -> dict[str, Any]:
    """Registration completeness against the departments' rosters, for the template:
    ``registration.births.roster`` (the births the hospitals listed), ``.found`` (of them,
    those in the register), ``.rate`` (their share, %, with ``.low`` and ``.high`` of its 95 %
    interval), ``.within_30d`` (the part registered within 30 days) and ``.gap`` (why there
    is no rate: the rosters do not cover the unit and period; empty otherwise); deaths
    against the hospitals' and the police's lists. Empty figures where no roster was received."""
    births, deaths = data.registration.get("birth"), data.registration.get("death")

    def share_fig(share: Any) -> Fig:
        if share is None:
            return Fig(None)
        return Fig(share.percent, 1, low_raw=share.low, high_raw=share.high)

    def part(row: Any, kind: str) -> dict[str, Any]:
        listed = row.rosters.get(kind) if row is not None else None
        events = listed.events if listed is not None else 0
        return {
            "roster": Fig(events if events else None),
            "found": Fig(listed.found if listed is not None and events else None),
            "rate": share_fig(listed.share() if listed is not None else None),
            "within_30d": share_fig(listed.share("found_30d") if listed is not None else None),
            "gap": str(listed.gap) if listed is not None and listed.gap is not None else "",
        }

    out = {
        "births": part(births, "hospital_births"),
        "deaths_hospital": part(deaths, "hospital_deaths"),
        "deaths_police": part(deaths, "police_deaths"),
    }
    out["any"] = any(v["roster"].known for v in out.values())
    return out


def period_name(period: Period) -> str:
    """The period as a sentence names it: 2024年, 2024年3月, 2024年第1季度 …"""
    start, end = period.start, period.end
    if period.kind == "dekad":  # 2024年3月上旬, as the statistics pages name it
        return labels.period_name(period)
    names = {
        "year": _("%(year)s") % {"year": start.year},
        "month": _("%(month)s/%(year)s") % {"year": start.year, "month": start.month},
        "quarter": _("quarter %(q)s of %(year)s")
        % {"year": start.year, "q": (start.month - 1) // 3 + 1},
        # by its name: 2024 统计年度 is 2023-10-01 … 2024-09-30
        "stat_year": _("the statistical year %(year)s") % {"year": end.year},
        "stat_half": (
            _("the first half of the statistical year %(year)s")
            if start.month == 10
            else _("the second half of the statistical year %(year)s")
        )
        % {"year": end.year},
    }
    return str(names[period.kind])


UNIT_WORDS = ("街道", "省", "市", "县", "区", "镇", "乡", "村", "社区")


def unit_word(name: str) -> str:
    """镇 for 某某镇: what 全镇 / 全县 says; empty when the name does not end in one."""
    return next((w for w in UNIT_WORDS if name.endswith(w)), "")


def render_text(data: ReportData) -> str:
    """The rendered template of the active language."""
    lang = "en" if (get_language() or "").startswith("en") else "zh-hans"
    template = template_engine().get_template(f"summary.{lang}.txt")
    return template.render(Context(context(data), autoescape=False))


AGE_LABELS = [
    f"{g * 5}–{g * 5 + 4}" if g < LAST_AGE_GROUP else f"{g * 5}+" for g in range(LAST_AGE_GROUP + 1)
]


def chart_png(data: ReportData, name: str) -> bytes | None:
    """One chart of the summary, or None when there is nothing to draw."""
    if name == "pyramid":
        end = data.values.get("population_end")
        split = end.breakdown if end is not None and end.detail else None
        if not split:
            return None
        return charts.pyramid(
            AGE_LABELS,
            split["M"],
            split["F"],
            title=_("Population by age and sex at period end"),
            men_label=_("Men"),
            women_label=_("Women"),
        )
    if name == "births_by_month":
        if all(v is None for v in data.months.values()):
            return None
        return charts.bars(
            list(data.months),
            list(data.months.values()),
            title=_("Births by month"),
            ylabel=_("Live births"),
        )
    if name == "srb_by_unit":
        rows = [
            (c.name, data.child_values[c.code].get("sex_ratio_at_birth")) for c in data.children
        ]
        rows = [
            (n, v) for n, v in rows if v is not None and v.value is not None and v.low is not None
        ]
        if not rows:
            return None
        band = {"low": f"{data.srb_band[0]:g}", "high": f"{data.srb_band[1]:g}"}
        return charts.sex_ratio(
            [n for n, _v in rows],
            [v.value for _n, v in rows],
            [v.low for _n, v in rows],
            [v.high for _n, v in rows],
            title=_(
                "Sex ratio at birth by sub-unit, with intervals (95%%; normal range "
                "%(low)s–%(high)s)"
            )
            % band,
            band_label=_("Normal range %(low)s–%(high)s") % band,
            band=data.srb_band,
        )
    if name == "fertility_by_age":
        names = [f"asfr_{group_label(g)}" for g in FERTILE_GROUPS]
        values = [data.value(n) for n in names]
        if all(v is None for v in values):
            return None
        return charts.bars(
            [n.removeprefix("asfr_").replace("_", "–") for n in names],
            values,
            title=_("Fertility by mother's age (‰)"),
            ylabel=_("Births per 1000 women"),
            color="#f28e2b",
        )
    raise KeyError(name)


def appendix_rows(data: ReportData) -> list[list[str]]:
    """The appendix: every cached indicator with its value, count and interval."""
    rows = []
    for name in INDICATORS:
        v = data.values.get(name)
        if v is None:
            continue
        whole = v.value is None or float(v.value).is_integer()
        # Rates with two decimals; counts whole; averages of persons with one decimal.
        decimals = 2 if name in RATES else 0 if whole else 1
        interval = (
            f"{number(v.low, decimals)}–{number(v.high, decimals)}"
            if v.low is not None and v.high is not None
            else ""
        )
        rows.append(
            [
                label(name),
                number(v.value, decimals),
                number(v.count) if v.count is not None else "",
                interval,
            ]
        )
    return rows


_CHART_LINE = re.compile(r"^\[chart ([a-z_]+)\]$")


def write_docx(data: ReportData, path: Path, *, step: Any = None) -> dict[str, Any]:
    """Write the summary as a Word document; return what it holds (for the audit)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    text = render_text(data)
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    for style_name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[style_name].element.get_or_add_rPr().get_or_add_rFonts().set(
            qn("w:eastAsia"), "黑体"
        )
    drawn: list[str] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        match = _CHART_LINE.match(line)
        if match:
            name = match.group(1)
            if step:
                step(name)
            png = chart_png(data, name)
            if png is None:
                doc.add_paragraph(_("(No data for this chart.)"))
                continue
            doc.add_picture(io.BytesIO(png), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            drawn.append(name)
        elif line == "[table appendix]":
            rows = appendix_rows(data)
            table = doc.add_table(rows=1, cols=4)
            table.style = "Table Grid"
            head = [_("Indicator"), _("Value"), _("Events counted"), _("Interval (95%)")]
            for cell, value in zip(table.rows[0].cells, head, strict=True):
                cell.text = value
            for row in rows:
                cells = table.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    cell.text = value
        elif line.startswith("## "):
            doc.add_heading(line[3:], level=2)
        elif line.startswith("# "):
            title = doc.add_heading(line[2:], level=1)
            title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            paragraph = doc.add_paragraph(line)
            paragraph.paragraph_format.first_line_indent = Pt(24)
    footer = section.footer.paragraphs[0]
    footer.text = _("%(unit)s · %(period)s · %(basis)s · data as of %(as_of)s") % {
        "unit": data.unit.name,
        "period": data.period.id,
        "basis": _basis_label(data.basis),
        "as_of": _as_of(data),
    }
    doc.core_properties.title = f"{data.unit.name} {data.period.id}"
    doc.save(str(path))
    return {"charts": drawn, "paragraphs": len(doc.paragraphs)}


def soffice() -> str:
    """The LibreOffice program, or ToolMissing."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise ToolMissing(
            _("LibreOffice is not installed (apt-get install libreoffice-writer-nogui): no PDF")
        )
    return found


def docx_to_pdf(docx: Path, pdf: Path) -> None:
    """Convert with LibreOffice headless, in a private profile (runs may overlap)."""
    program = soffice()
    with scratch_directory("renkou-soffice-") as work_dir:
        result = subprocess.run(
            [
                program,
                f"-env:UserInstallation={(work_dir / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work_dir),
                str(docx),
            ],
            capture_output=True,
            timeout=PDF_TIMEOUT,
            check=False,
        )
        made = work_dir / (docx.stem + ".pdf")
        if result.returncode != 0 or not made.exists():
            raise RuntimeError(
                "LibreOffice could not convert the summary: "
                + result.stderr.decode(errors="replace")[-500:]
            )
        shutil.move(str(made), pdf)


def describe(data: ReportData) -> str:
    """A short JSON description of the source, for logs."""
    return json.dumps({"unit": data.unit.code, "period": data.period.id, "basis": data.basis})
