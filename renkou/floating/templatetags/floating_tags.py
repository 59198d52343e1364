"""Template helpers of the floating-population pages."""

from __future__ import annotations

from django import template

from renkou.core import regions
from renkou.orgunits.models import OrgUnit

register = template.Library()


@register.filter
def area_label(code: str) -> str:
    """An area code with its name: one of our units, or a GB/T 2260 region elsewhere."""
    if not code:
        return "—"
    unit = OrgUnit.objects.filter(code=code).only("name").first()
    name = unit.name if unit else regions.region_name(code[:6])
    return f"{name} ({code})" if name else code
