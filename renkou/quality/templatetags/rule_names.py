"""``{{ code|rule_name }}``: a logic-check rule's short name in the page's language."""

from __future__ import annotations

from django import template

from renkou.quality.rule_names import rule_name as _rule_name

register = template.Library()


@register.filter
def rule_name(code: str) -> str:
    """The rule's name (the code itself if unknown)."""
    return _rule_name(str(code))
