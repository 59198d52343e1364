"""Template helpers of the quality pages."""

from __future__ import annotations

from typing import Any

from django import template

from renkou.quality.corrections import correction_url

register = template.Library()


@register.simple_tag
def finding_correction_url(finding: Any) -> str:
    """The correction form for a finding (its person, field and village), or ""."""
    return correction_url(rule=finding.rule, person_id=finding.person_id, village=finding.unit)
