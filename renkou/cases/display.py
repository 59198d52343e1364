"""The case rates as a page shows them: name, value, counts and (for few cases) interval."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from renkou.cases.rates import CaseRates, Rate

# below this many cases a rate carries its interval (few cases give unstable rates)
SMALL = 100

RATE_NAMES = (
    ("accepted_on_time", _("Accepted on time (按期受理率)")),
    ("closed", _("Closed (办结率)")),
    ("closed_on_time", _("Closed on time (按期办结率)")),
    ("satisfaction", _("Satisfied (满意率)")),
)


def percent(value: float | None) -> str:
    """A rate in per cent with one decimal ("—" for none)."""
    return "—" if value is None else f"{value:.1f} %"


def rate_row(key: str, name: Any, rate: Rate) -> dict[str, Any]:
    """One rate ready for a template."""
    interval = rate.interval
    small = interval is not None and rate.denominator < SMALL
    return {
        "key": key,
        "name": name,
        "value": percent(rate.value),
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "low": f"{interval[0]:.1f}" if small and interval else "",
        "high": f"{interval[1]:.1f}" if small and interval else "",
    }


def rate_rows(rates: CaseRates) -> list[dict[str, Any]]:
    """The four rates of one unit and period."""
    return [rate_row(key, name, getattr(rates, key)) for key, name in RATE_NAMES]
