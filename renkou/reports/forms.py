"""The five statistical forms (统计报表) as tables: columns with units, one row per sub-unit,
a total row. ``xlsx.py`` and ``csv`` writing lay the same tables out.

Totals: a column that adds up across sub-units (persons, births, deaths) gets a SUM formula
in the workbook; when the sub-units do not hold all of the unit's figure (a person placed
at the township itself, a merged village), a row "not in a sub-unit" carries the difference,
so the sum equals the unit's own cached figure, and that is checked before writing. Moves,
the floating population and rates do not add up (a move between two villages of one
township is no move for the township): the total row holds the unit's own figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from renkou import demography as dm
from renkou.analytics.labels import period_text
from renkou.analytics.names import FERTILE_GROUPS, group_label
from renkou.exchange.completeness import completeness
from renkou.reports.data import ReportData, Values


@dataclass
class Column:
    """One column: its header, unit of measure, and whether it adds up across rows."""

    key: str
    label: str
    unit: str = ""
    additive: bool = True
    decimals: int = 0

    @property
    def header(self) -> str:
        """The header with its unit, e.g. 出生率（‰）."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


@dataclass
class Row:
    """One row: a sub-unit, the remainder, or the total."""

    label: str
    code: str
    values: list[float | None]
    kind: str = "unit"  # unit | remainder | total
    small: list[bool] = field(default_factory=list)


@dataclass
class Form:
    """A form ready to lay out."""

    key: str
    title: str
    unit: str
    period: str
    basis: str
    measure: str
    columns: list[Column]
    rows: list[Row]
    first_header: str
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Row | None:
        """The total row, if the form has one."""
        return next((r for r in self.rows if r.kind == "total"), None)


class TotalMismatch(AssertionError):
    """Sub-unit rows that do not add up to the unit's figure (a bug, never shown as data)."""


def _count(values: Values, name: str, part: str = "value") -> float | None:
    v = values.get(name)
    return getattr(v, part) if v is not None else None


def _small(values: Values, name: str) -> bool:
    v = values.get(name)
    return bool(v is not None and v.count is not None and v.count < dm.SMALL_NUMBERS)


def _with_total(
    columns: list[Column],
    rows: list[Row],
    own: list[float | None],
    own_small: list[bool],
) -> list[Row]:
    """Add the remainder row (when needed) and the total row; check additive columns."""
    if not rows:
        return [Row(_("Total"), "", own, "total", own_small)]
    remainder: list[float | None] = []
    for i, col in enumerate(columns):
        if not col.additive:
            remainder.append(None)
            continue
        parts = sum(r.values[i] or 0 for r in rows)
        remainder.append((own[i] or 0) - parts)
    out = list(rows)
    if any(r for r in remainder):
        out.append(Row(_("Not in a sub-unit"), "", remainder, "remainder", [False] * len(columns)))
    for i, col in enumerate(columns):
        if col.additive and sum(r.values[i] or 0 for r in out) != (own[i] or 0):
            raise TotalMismatch(f"{col.key}: rows do not add up to the unit's figure")
    out.append(Row(_("Total"), "", own, "total", own_small))
    return out


def _header_period(data: ReportData) -> str:
    """The period by its name and dates: 2024 统计年度 (2023-10-01 – 2024-09-30)."""
    return period_text(data.period)


def _basis_label(basis: str) -> str:
    return (
        pgettext("basis", "Registered") if basis == "registered" else pgettext("basis", "Resident")
    )


VITAL = [
    # key, source indicator, part of the cache row, additive, decimals, unit kind
    ("population_end", "population_end", "value", True, 0, "persons"),
    ("women_15_49", "women_15_49", "value", True, 0, "persons"),
    ("married_women_15_49", "married_women_15_49", "value", True, 0, "persons"),
    ("births", "births", "value", True, 0, "persons"),
    ("births_male", "births_male", "value", True, 0, "persons"),
    ("births_female", "births_female", "value", True, 0, "persons"),
    ("births_1", "parity_share_1", "numerator", True, 0, "persons"),
    ("births_2", "parity_share_2", "numerator", True, 0, "persons"),
    ("births_3plus", "parity_share_3plus", "numerator", True, 0, "persons"),
    ("births_order_unknown", "", "", True, 0, "persons"),
    ("late_births_reported", "late_births_reported", "value", True, 0, "persons"),
    ("deaths", "deaths", "value", True, 0, "persons"),
    ("moves_in", "moves_in", "value", False, 0, "persons"),
    ("moves_out", "moves_out", "value", False, 0, "persons"),
    ("crude_birth_rate", "crude_birth_rate", "value", False, 2, "permille"),
    ("crude_death_rate", "crude_death_rate", "value", False, 2, "permille"),
    ("natural_growth_rate", "natural_growth_rate", "value", False, 2, "permille"),
    ("sex_ratio_at_birth", "sex_ratio_at_birth", "value", False, 2, "srb"),
]


def _vital_labels() -> dict[str, str]:
    return {
        "population_end": _("Population at period end"),
        "women_15_49": _("Women aged 15–49"),
        "married_women_15_49": _("Married women aged 15–49"),
        "births": _("Live births"),
        "births_male": _("Boys"),
        "births_female": _("Girls"),
        "births_1": _("First births"),
        "births_2": _("Second births"),
        "births_3plus": _("Third and later births"),
        "births_order_unknown": _("Birth order unknown"),
        "late_births_reported": _("Births of earlier years reported now"),
        "deaths": _("Deaths"),
        "moves_in": _("Moved in"),
        "moves_out": _("Moved out"),
        "crude_birth_rate": _("Birth rate"),
        "crude_death_rate": _("Death rate"),
        "natural_growth_rate": _("Natural growth rate"),
        "sex_ratio_at_birth": _("Sex ratio at birth"),
    }


def _units() -> dict[str, str]:
    return {
        "persons": "",
        "permille": "‰",
        "percent": "%",
        "srb": _("girls = 100"),
    }


def _vital_row(values: Values) -> tuple[list[float | None], list[bool]]:
    out: list[float | None] = []
    small: list[bool] = []
    for key, source, part, _add, _dec, _kind in VITAL:
        if key == "births_order_unknown":
            births = _count(values, "births") or 0
            known = sum(
                _count(values, s, "numerator") or 0
                for s in ("parity_share_1", "parity_share_2", "parity_share_3plus")
            )
            out.append(births - known if values else None)
            small.append(False)
            continue
        out.append(_count(values, source, part))
        small.append(part == "value" and _kind != "persons" and _small(values, source))
    return out, small


def vital_form(data: ReportData) -> Form:
    """Form 1: population, women, births by sex and order, deaths, moves and rates."""
    labels, units = _vital_labels(), _units()
    columns = [
        Column(key, labels[key], units[kind], additive, decimals)
        for key, _s, _p, additive, decimals, kind in VITAL
    ]
    rows = []
    for child in data.children:
        values, small = _vital_row(data.child_values[child.code])
        rows.append(Row(child.name, child.code, values, "unit", small))
    own, own_small = _vital_row(data.values)
    return Form(
        key="vital",
        title=_("Population change and births by order"),
        unit=f"{data.unit.name} ({data.unit.code})",
        period=_header_period(data),
        basis=_basis_label(data.basis),
        measure=_("Unit of measure: persons; rates per thousand (‰)"),
        columns=columns,
        rows=_with_total(columns, rows, own, own_small),
        first_header=_("Unit"),
        notes=[
            _(
                "Totals of moves and rates are the unit's own figures: a move between two "
                "of its sub-units is not a move of the unit, and rates do not add up."
            ),
            _("Rates shown in italics rest on fewer than 100 events: read them with care."),
            _("Births of earlier years reported now (往年出生未报) are not in the births column."),
        ],
    )


def fertility_form(data: ReportData) -> Form:
    """Form 2: women, births and fertility rate by the mother's five-year age group."""
    columns = [
        Column("women", _("Average women"), "", True, 1),
        Column("births", _("Births"), "", True, 0),
        Column("asfr", _("Age-specific fertility rate"), "‰", False, 2),
        Column("low", _("Interval low (95%)"), "‰", False, 2),
        Column("high", _("Interval high (95%)"), "‰", False, 2),
    ]
    rows = []
    for g in FERTILE_GROUPS:
        name = f"asfr_{group_label(g)}"
        v = data.values.get(name)
        rows.append(
            Row(
                f"{g * 5}–{g * 5 + 4}",
                name,
                [
                    v.denominator if v else None,
                    v.numerator if v else None,
                    v.value if v else None,
                    v.low if v else None,
                    v.high if v else None,
                ],
                "unit",
                [False, False, _small(data.values, name), False, False],
            )
        )
    gfr = data.values.get("general_fertility_rate")
    women = gfr.denominator if gfr else None
    born = sum(r.values[1] or 0 for r in rows)
    total = Row(
        _("Women 15–49 / general fertility rate"),
        "general_fertility_rate",
        [
            women,
            born,
            gfr.value if gfr else None,
            gfr.low if gfr else None,
            gfr.high if gfr else None,
        ],
        "total",
        [False, False, _small(data.values, "general_fertility_rate"), False, False],
    )
    if women is not None and abs(sum(r.values[0] or 0 for r in rows) - women) > 1e-6:
        raise TotalMismatch("women: age groups do not add up to women 15–49")
    tfr = data.values.get("total_fertility_rate")
    births = data.value("births")
    return Form(
        key="fertility",
        title=_("Fertility by mother's age"),
        unit=f"{data.unit.name} ({data.unit.code})",
        period=_header_period(data),
        basis=_basis_label(data.basis),
        measure=_("Unit of measure: women and births in persons; rates per thousand women (‰)"),
        columns=columns,
        rows=[*rows, total],
        first_header=_("Mother's age"),
        notes=[
            _("Total fertility rate: %(tfr)s children per woman.")
            % {"tfr": f"{tfr.value:.2f}" if tfr and tfr.value is not None else "—"},
            _(
                "The general fertility rate counts all %(births)s births, including those to "
                "mothers outside 15–49; the births column counts mothers aged 15–49."
            )
            % {"births": f"{births:.0f}" if births is not None else "—"},
            _("Average women: (women at the period's start + at its end) / 2."),
        ],
    )


def quality_form(data: ReportData) -> Form:
    """Form 3: logic accuracy and completeness of the register, and late-reported births."""
    columns = [
        Column("persons", _("Persons checked"), "", True, 0),
        Column("persons_with_error", _("Persons with a logic error"), "", True, 0),
        Column("logic_accuracy", _("Logic accuracy"), "%", False, 2),
        Column("required_fields", _("Required fields"), "", True, 0),
        Column("filled_fields", _("Filled fields"), "", True, 0),
        Column("completeness", _("Completeness"), "%", False, 2),
        Column("births", _("Live births"), "", True, 0),
        Column("late_births_reported", _("Births of earlier years reported now"), "", True, 0),
        Column("hospital_births", _("Births on hospital rosters"), "", True, 0),
        Column("birth_completeness", _("Hospital births found in the register"), "%", False, 1),
        Column("birth_completeness_low", _("Interval low (95%)"), "%", False, 1),
        Column("birth_completeness_high", _("Interval high (95%)"), "%", False, 1),
    ]
    # Completeness of registration against the hospitals' birth rosters (the exchange).
    births = {
        row.code: row
        for row in completeness(
            unit=data.unit, event="birth", start=data.period.start, end=data.period.end
        )
    }

    def roster(code: str) -> list[float | None]:
        row = births.get(code)
        if row is None:
            return [None, None, None, None]
        share = row.share("hospital_births")  # None where the rosters do not cover
        if share is None:
            return [row.rosters["hospital_births"].events, None, None, None]
        return [share.whole, share.percent, share.low, share.high]

    def line(rates: object, values: Values) -> list[float | None]:
        return [
            getattr(rates, "persons", None),
            getattr(rates, "persons_with_error", None),
            getattr(rates, "logic_accuracy_percent", None),
            getattr(rates, "required_fields", None),
            getattr(rates, "filled_fields", None),
            getattr(rates, "completeness_percent", None),
            _count(values, "births"),
            _count(values, "late_births_reported"),
        ]

    by_code = {r.orgunit: r for r in data.quality}
    rows = [
        Row(
            c.name,
            c.code,
            line(by_code.get(c.code), data.child_values[c.code]) + roster(c.code),
            "unit",
        )
        for c in data.children
    ]
    own = line(by_code.get(data.unit.code), data.values) + roster(data.unit.code)
    run = by_code.get(data.unit.code)
    return Form(
        key="quality",
        title=_("Data quality and completeness"),
        unit=f"{data.unit.name} ({data.unit.code})",
        period=_header_period(data),
        basis=_basis_label(data.basis),
        measure=_("Unit of measure: persons and fields; rates in per cent (%)"),
        columns=columns,
        rows=_with_total(columns, rows, own, [False] * len(columns)),
        first_header=_("Unit"),
        notes=[
            _("Quality rates from the latest logic check (run of %(run)s).")
            % {"run": run.as_of_run if run and run.as_of_run else "—"},
            _(
                "Completeness: of the births the hospitals' rosters list for the area and "
                "period, the share found in the register, however late reported, with its "
                "95% interval; blank where no roster lists any, or where the rosters received "
                "do not cover the whole area and period (not comparable)."
            ),
        ],
    )


def _collaboration_line(rates: dict[str, Any]) -> list[float | None]:
    notice, reply, on_time = rates["notice"], rates["reply"], rates["on_time"]
    return [
        notice.denominator,
        notice.numerator,
        notice.percent,
        reply.denominator,
        reply.numerator,
        reply.percent,
        on_time.numerator,
        on_time.percent,
    ]


def collaboration_form(data: ReportData) -> Form:
    """Form 4: the floating population's collaboration (一盘棋): 通报率, 协查反馈率 and
    反馈及时率 per sub-unit, counted from the messages (``floating.selectors.unit_rates``)."""
    from renkou.floating.selectors import rates_of_periods, unit_rates

    columns = [
        Column("arrivals", _("Arrivals from outside"), "", False, 0),
        Column("notified", _("Notified in time"), "", False, 0),
        Column("notice_rate", _("Notice rate"), "%", False, 1),
        Column("requests", _("Verification requests received"), "", False, 0),
        Column("answered", _("Answered"), "", False, 0),
        Column("reply_rate", _("Reply rate"), "%", False, 1),
        Column("on_time", _("Answered on time"), "", False, 0),
        Column("on_time_rate", _("On-time reply rate"), "%", False, 1),
    ]
    start, end = data.period.start, data.period.end
    figures = rates_of_periods([c.code for c in data.children], [data.period])
    rows = [
        Row(c.name, c.code, _collaboration_line(figures[(c.code, data.period.id)]), "unit")
        for c in data.children
    ]
    own = _collaboration_line(data.floating or unit_rates(data.unit.code, start, end))
    return Form(
        key="collaboration",
        title=_("Collaboration on the floating population"),
        unit=f"{data.unit.name} ({data.unit.code})",
        period=_header_period(data),
        basis=_basis_label(data.basis),
        measure=_("Unit of measure: persons and requests; rates in per cent (%)"),
        columns=columns,
        rows=_with_total(columns, rows, own, [False] * len(columns)),
        first_header=_("Unit"),
        notes=[
            _(
                "Notice rate (通报率): arrivals whose notice was sent within the days allowed"
                " ÷ arrivals. Reply rate (协查反馈率): requests received and answered ÷"
                " received. On-time reply rate (反馈及时率): answered by the due day ÷"
                " received. Blank: nothing counted."
            ),
            _(
                "Totals are the unit's own figures: a message between two of its sub-units"
                " is counted once."
            ),
        ],
    )


HEALTH_RATES = (
    ("coverage", "Couples examined", "Target couples", "Coverage"),
    ("early_followup", "Early-pregnancy follow-ups", "With a pregnancy", "Early follow-up rate"),
    ("outcome_followup", "Outcome follow-ups", "Pregnancies due", "Outcome follow-up rate"),
    ("high_risk", "High risk", "Risk assessed", "High-risk share"),
    ("screening_coverage", "Women screened", "Target women", "Screening coverage"),
    ("positive_followup", "Positives followed", "Positive results", "Positive follow-up rate"),
    ("premarital", "Couples checked", "Marriages registered", "Premarital check rate"),
)


def _health_labels() -> dict[str, str]:
    return {
        "Couples examined": _("Couples examined"),
        "Target couples": _("Target couples"),
        "Coverage": _("Coverage"),
        "Early-pregnancy follow-ups": _("Early-pregnancy follow-ups"),
        "With a pregnancy": _("With a pregnancy"),
        "Early follow-up rate": _("Early follow-up rate"),
        "Outcome follow-ups": _("Outcome follow-ups"),
        "Pregnancies due": _("Pregnancies due"),
        "Outcome follow-up rate": _("Outcome follow-up rate"),
        "High risk": _("High risk"),
        "Risk assessed": _("Risk assessed"),
        "High-risk share": _("High-risk share"),
        "Women screened": _("Women screened"),
        "Target women": _("Target women"),
        "Screening coverage": _("Screening coverage"),
        "Positives followed": _("Positives followed"),
        "Positive results": _("Positive results"),
        "Positive follow-up rate": _("Positive follow-up rate"),
        "Couples checked": _("Couples checked"),
        "Marriages registered": _("Marriages registered"),
        "Premarital check rate": _("Premarital check rate"),
    }


def _health_line(rates: Any) -> list[float | None]:
    line: list[float | None] = []
    for key, *_labels in HEALTH_RATES:
        rate = getattr(rates, key)
        line += [rate.numerator, rate.denominator, rate.value]
    return line


def health_form(data: ReportData) -> Form:
    """Form 5: the health services (国免, 两癌筛查, 婚前医学检查): per sub-unit, each rate's
    numerator, denominator and per cent (``renkou.health.rates``): counts, never persons."""
    from renkou.health.selectors import rates_many

    labels = _health_labels()
    columns = []
    for key, num, den, rate in HEALTH_RATES:
        columns += [
            Column(f"{key}_n", labels[num], "", False, 0),
            Column(f"{key}_d", labels[den], "", False, 0),
            Column(key, labels[rate], "%", False, 2),
        ]
    codes = [data.unit.code, *(c.code for c in data.children)]
    many = rates_many(codes, [data.period])
    rows = [
        Row(c.name, c.code, _health_line(many[(c.code, data.period.id)]), "unit")
        for c in data.children
    ]
    own = _health_line(data.health or many[(data.unit.code, data.period.id)])
    return Form(
        key="health",
        title=_("Health services"),
        unit=f"{data.unit.name} ({data.unit.code})",
        period=_header_period(data),
        basis=_basis_label(data.basis),
        measure=_("Unit of measure: couples, women and steps; rates in per cent (%)"),
        columns=columns,
        rows=_with_total(columns, rows, own, [False] * len(columns)),
        first_header=_("Unit"),
        notes=[
            _(
                "Steps are counted in the period their date falls in; records whose consent"
                " was withdrawn are not counted. Target couples, pregnancies, pregnancies due"
                " and target women are the yearly figures entered from the health system."
                " Blank: no denominator."
            ),
        ],
    )


def all_forms(data: ReportData) -> list[Form]:
    """The five forms of a unit and period."""
    return [
        vital_form(data),
        fertility_form(data),
        quality_form(data),
        collaboration_form(data),
        health_form(data),
    ]
