"""What each benefit parameter is, in the reader's language (the YAML files' descriptions
are the maintainers' notes, in English)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PARAMETER_LABELS: dict[str, str | Promise] = {
    "childcare.in_force": _("Childcare subsidy in force (months before 2025-01 are never paid)"),
    "childcare.max_age": _("Childcare subsidy: paid for the months before this birthday (years)"),
    "childcare.per_month": _("Childcare subsidy: yuan per child per month (3600 a year)"),
    "notice.min_days": _(
        "Public notice: the fewest days a list is on notice before it may be approved"
    ),
    "only_child.amount_per_year": _(
        "Only-child health allowance: yuan per certificate per year (provincial)"
    ),
    "only_child.child_max_age": _(
        "Only-child health allowance: paid while the child is younger than this age (years)"
    ),
    "rural_reward.amount_per_year": _(
        "Rural reward and assistance: yuan per person per year (national minimum; provinces add)"
    ),
    "rural_reward.min_age": _("Rural reward and assistance: parents' minimum age (years)"),
    "special_assistance.death_per_month": _(
        "Special assistance, death category: yuan per person per month"
    ),
    "special_assistance.disability_per_month": _(
        "Special assistance, disability category: yuan per person per month"
    ),
    "special_assistance.max_disability_grade": _(
        "Special assistance: the child's disability grades that qualify (1 up to this grade)"
    ),
    "special_assistance.mother_min_age": _(
        "Special assistance: the mother's age from which the parents qualify (years)"
    ),
}


def parameter_label(path: str, description: str = "") -> str:
    """The parameter's description in the current language (the file's text if unnamed)."""
    label = PARAMETER_LABELS.get(path)
    return str(label) if label else description
