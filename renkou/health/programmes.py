"""The service programmes as data: each names its steps, in order, and what each step keeps.

A programme is a voluntary service, kept with consent and only for the service: 国免 for
couples planning a pregnancy, 两癌 screening for women, the premarital check for couples
marrying. A step is recorded once per service record, on a date, by an institution; its
``outcomes`` (if any) are the values its encrypted result may take. ``after`` names the
step that must come first (its date on or before this one's): a follow-up before the
examination is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    """One step of a programme."""

    code: str
    label: str | Promise
    after: str = ""
    outcomes: tuple[tuple[str, str | Promise], ...] = ()
    only_if: tuple[str, str] | None = None  # (step, outcome) that must have been recorded


@dataclass(frozen=True)
class Programme:
    """One service programme: who takes part and its steps in order."""

    code: str
    label: str | Promise
    couple: bool  # a couple (woman and man) or a woman alone
    steps: tuple[Step, ...]

    def step(self, code: str) -> Step:
        """The step ``code`` (KeyError if the programme has none)."""
        for step in self.steps:
            if step.code == code:
                return step
        raise KeyError(code)


PRE_PREGNANCY = Programme(
    code="pre_pregnancy",
    label=_("Free pre-pregnancy health check (国免)"),
    couple=True,
    steps=(
        Step("enrolled", _("Enrolled")),
        Step("examined", _("Both examined"), after="enrolled"),
        Step(
            "risk_assessed",
            _("Risk assessment and advice"),
            after="examined",
            outcomes=(("low", _("Low risk")), ("high", _("High risk"))),
        ),
        Step("early_followup", _("Early-pregnancy follow-up"), after="examined"),
        Step("outcome_followup", _("Outcome follow-up"), after="early_followup"),
    ),
)
SCREENING = Programme(
    code="screening",
    label=_("Cervical and breast cancer screening (两癌筛查)"),
    couple=False,
    steps=(
        Step("screened", _("Screened")),
        Step(
            "result",
            _("Result"),
            after="screened",
            outcomes=(("negative", _("Negative")), ("positive", _("Positive"))),
        ),
        Step(
            "referred",
            _("Referral and follow-up of a positive result"),
            after="result",
            only_if=("result", "positive"),
        ),
    ),
)
PREMARITAL = Programme(
    code="premarital",
    label=_("Premarital health check (婚前医学检查)"),
    couple=True,
    steps=(Step("checked", _("Couple checked")),),
)

PROGRAMMES: dict[str, Programme] = {p.code: p for p in (PRE_PREGNANCY, SCREENING, PREMARITAL)}


def programme_choices() -> list[tuple[str, str | Promise]]:
    """(code, label) of every programme, for forms."""
    return [(p.code, p.label) for p in PROGRAMMES.values()]
