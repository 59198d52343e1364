"""Names of the indicators as users read them (translated), which ones are rates, and the
message for a text that names no period."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from renkou.analytics.names import FERTILE_GROUPS, group_label
from renkou.analytics.periods import Period

LABELS: dict[str, str | Promise] = {
    "population_start": _("Population at period start"),
    "population_end": _("Population at period end"),
    "average_population": _("Average population (start and end)"),
    "average_population_person_years": _("Average population (person-years)"),
    "births": _("Live births"),
    "births_male": _("Live births, boys"),
    "births_female": _("Live births, girls"),
    "crude_birth_rate": _("Crude birth rate (‰)"),
    "deaths": _("Deaths"),
    "crude_death_rate": _("Crude death rate (‰)"),
    "natural_growth_rate": _("Natural growth rate (‰)"),
    "sex_ratio_at_birth": _("Sex ratio at birth (boys per 100 girls)"),
    "weighted_sex_ratio_at_birth": _("Multi-year weighted sex ratio at birth"),
    "parity_share_1": _("First births, share of all births (per cent)"),
    "parity_share_2": _("Second births, share of all births (per cent)"),
    "parity_share_3plus": _("Third and later births, share of all births (per cent)"),
    "women_15_49": _("Women aged 15–49 at period end"),
    "married_women_15_49": _("Married women aged 15–49 at period end"),
    "general_fertility_rate": _("General fertility rate (‰)"),
    "total_fertility_rate": _("Total fertility rate (children per woman)"),
    "total_fertility_rate_single_years": _(
        "Total fertility rate from single years of age (children per woman)"
    ),
    "infant_deaths": _("Infant deaths (under age 1)"),
    "infant_mortality_rate": _("Infant mortality rate (‰)"),
    "moves_in": _("Moved in"),
    "moves_out": _("Moved out"),
    "floating_in": _("Floating population in, at period end"),
    "floating_out": _("Floating population out, at period end"),
    "late_births_reported": _("Births of earlier years reported in this period"),
}
ASFR_LABEL = _("Age-specific fertility rate, mothers aged %(low)s–%(high)s (‰)")


def label(indicator: str) -> str:
    """The user's name of an indicator, in the active language."""
    if indicator.startswith("asfr_"):
        low, high = indicator.removeprefix("asfr_").split("_")
        return str(ASFR_LABEL) % {"low": low, "high": high}
    return str(LABELS[indicator])


def not_a_period(text: str) -> str:
    """The message for a period identifier that names no period, with examples."""
    return _("not a period: %(text)s (e.g. 2024, 202403, 2024Q1, 2023Oct, 2023OctS1)") % {
        "text": text
    }


RATES = frozenset(
    {
        "crude_birth_rate",
        "crude_death_rate",
        "natural_growth_rate",
        "sex_ratio_at_birth",
        "weighted_sex_ratio_at_birth",
        "parity_share_1",
        "parity_share_2",
        "parity_share_3plus",
        "general_fertility_rate",
        "total_fertility_rate",
        "total_fertility_rate_single_years",
        "infant_mortality_rate",
        *(f"asfr_{group_label(g)}" for g in FERTILE_GROUPS),
    }
)
"""Indicators that are rates or ratios: flagged when resting on fewer than 100 events."""


def period_name(period: Period) -> str:
    """A period as people name it: 2024 统计年度 (the statistical year ending 30 September
    2024, id ``2023Oct``), its halves 上半年/下半年, 2024年第1季度, 2024年3月 …"""
    start, end = period.start, period.end
    if period.kind == "stat_year":
        return _("Statistical year %(year)s") % {"year": end.year}
    if period.kind == "stat_half":
        year = end.year if start.month == 10 else start.year
        if start.month == 10:
            return _("Statistical year %(year)s, first half") % {"year": year}
        return _("Statistical year %(year)s, second half") % {"year": year}
    if period.kind == "quarter":
        return _("%(year)s Q%(quarter)s") % {
            "year": start.year,
            "quarter": (start.month - 1) // 3 + 1,
        }
    if period.kind == "month":
        return _("%(year)s-%(month)02d") % {"year": start.year, "month": start.month}
    if period.kind == "dekad":
        names = {
            1: _("%(year)s-%(month)02d, days 1–10"),
            11: _("%(year)s-%(month)02d, days 11–20"),
            21: _("%(year)s-%(month)02d, days 21 to the end"),
        }
        return names[start.day] % {"year": start.year, "month": start.month}
    return _("Year %(year)s") % {"year": start.year}


def period_text(period: Period) -> str:
    """The name with the dates it covers: 2024 统计年度 (2023-10-01 – 2024-09-30)."""
    return f"{period_name(period)} ({period.start.isoformat()} – {period.end.isoformat()})"
