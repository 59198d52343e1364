"""Who each programme pays (the payee), stated on the decisions and on a person's page."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from renkou.benefits.choices import Programme

PAYEE_RULES: dict[str, Promise] = {
    Programme.RURAL_REWARD: _("paid to the person: each parent of the family receives their own"),
    Programme.SPECIAL_ASSISTANCE: _(
        "paid to the person: each parent of the family receives their own"
    ),
    Programme.ONLY_CHILD: _("paid to the holder of the only-child certificate"),
    Programme.CHILDCARE: _(
        "paid to the parent who applied for the child, for the months applied for"
        " only, never to the child: the account is the applicant's"
    ),
}


def payee_rule(programme: str) -> str:
    """Who the programme pays, in the page's language ("" for a programme without a rule)."""
    rule = PAYEE_RULES.get(programme)
    if rule is not None:
        return str(rule)
    from renkou.benefits.local import local_programmes

    local = local_programmes().get(programme)
    return local.payee_text() if local is not None else ""


def payees_of(person: Any) -> list[tuple[str, str]]:
    """(programme, who is paid) for every programme, for a person's page beside the account."""
    from renkou.benefits.choices import programme_choices

    return [(label, payee_rule(value)) for value, label in programme_choices()]
