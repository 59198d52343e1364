"""The service rates as a page shows them: name, value, counts and (for few) interval."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from renkou.health.rates import HealthRates, Rate

SMALL = 100  # below this many a rate carries its interval (few records, unstable rates)

RATE_NAMES = {
    "coverage": _("Target-group coverage (目标人群覆盖率)"),
    "early_followup": _("Early-pregnancy follow-up rate (早孕随访率)"),
    "outcome_followup": _("Outcome follow-up rate (妊娠结局随访率)"),
    "high_risk": _("High-risk share (高风险比例)"),
    "screening_coverage": _("Screening coverage (两癌筛查覆盖率)"),
    "positive_followup": _("Positives followed up (阳性随访率)"),
    "premarital": _("Premarital check rate (婚前医学检查率)"),
}


def percent(value: float | None) -> str:
    """A rate in per cent with two decimals ("—" for none)."""
    return "—" if value is None else f"{value:.2f} %"


def rate_row(key: str, rate: Rate) -> dict[str, Any]:
    """One rate ready for a template."""
    interval = rate.interval
    small = interval is not None and (rate.denominator or 0) < SMALL
    return {
        "key": key,
        "name": RATE_NAMES[key],
        "value": percent(rate.value),
        "numerator": rate.numerator,
        "denominator": "—" if rate.denominator is None else rate.denominator,
        "low": f"{interval[0]:.1f}" if small and interval else "",
        "high": f"{interval[1]:.1f}" if small and interval else "",
        "too_many": rate.denominator is not None and rate.numerator > rate.denominator,
    }


def rate_rows(rates: HealthRates) -> list[dict[str, Any]]:
    """The seven rates of one unit and period."""
    return [rate_row(key, rate) for key, rate in rates.named()]
