"""The indicators a target can name: every figure of the indicator cache, the quality
rates (逻辑准确率, 完整率), the collaboration rates over the floating population (通报率,
协查反馈率, 反馈及时率), the completeness of registration against the departments' rosters
(登记完整率) and the benefits' disbursement rate (资金发放到位率). A target on
anything else is refused: there is nothing to score it on."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from renkou.analytics.labels import label
from renkou.analytics.names import INDICATORS
from renkou.floating.selectors import RATE_INDICATORS

CACHE = "cache"
QUALITY = "quality"
FLOATING = "floating"
BENEFITS = "benefits"
COMPLETENESS = "completeness"


@dataclass(frozen=True)
class Scorable:
    """One indicator a target can be set on, and where its figure comes from (each target
    says its own direction)."""

    name: str
    source: str
    label_text: str | Promise = ""

    @property
    def label(self) -> str:
        """The user's name of the indicator, in the active language."""
        return str(self.label_text) if self.label_text else label(self.name)


OTHERS: tuple[Scorable, ...] = (
    Scorable("quality_logic_accuracy", QUALITY, _("Logic accuracy (per cent)")),
    Scorable("quality_completeness", QUALITY, _("Completeness of required fields (per cent)")),
    *(Scorable(name, FLOATING, text) for name, (_key, text) in RATE_INDICATORS.items()),
    Scorable(
        "completeness_births",
        COMPLETENESS,
        _("Completeness of birth registration against the hospitals' births (per cent)"),
    ),
    Scorable(
        "completeness_deaths_hospital",
        COMPLETENESS,
        _("Completeness of death registration against the hospitals' deaths (per cent)"),
    ),
    Scorable(
        "completeness_deaths_police",
        COMPLETENESS,
        _("Completeness of death registration against the police's deaths (per cent)"),
    ),
    Scorable(
        "benefits_disbursement_rate",
        BENEFITS,
        _("Benefits paid of the amounts due (per cent)"),
    ),
)

CATALOGUE: dict[str, Scorable] = {
    **{name: Scorable(name, CACHE) for name in INDICATORS},
    **{s.name: s for s in OTHERS},
}


def scorable(name: str) -> Scorable | None:
    """The indicator of that name, or None if renkou computes none such."""
    return CATALOGUE.get(name)


def choices() -> list[tuple[str, str]]:
    """(name, label) of every indicator a target can name, for the form's list."""
    return [(s.name, s.label) for s in CATALOGUE.values()]
