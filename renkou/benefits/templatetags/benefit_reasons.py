"""``{% decision_why d %}``: why a decision is what it is, the failed condition or the facts it
waits for with where to enter them (one block every benefit page shares)."""

from __future__ import annotations

from typing import Any

from django import template

from renkou.benefits.reasons import deciding, missing_facts, render

register = template.Library()


@register.inclusion_tag("benefits/_why.html")
def decision_why(decision: Any) -> dict[str, Any]:
    """The deciding condition (not eligible) or the missing facts (undecided) of a decision."""
    items = decision.reasons or []
    failed = deciding(items) if decision.outcome == "not_eligible" else None
    return {
        "decision": decision,
        "failed": render(failed) if failed else "",
        "missing": missing_facts(items) if decision.outcome == "undecided" else [],
    }


@register.filter
def payee_rule(programme: str) -> str:
    """Who the programme pays (``benefits.payees``), in the page's language."""
    from renkou.benefits.payees import payee_rule as rule

    return rule(programme)
