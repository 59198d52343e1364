"""Names of the codes a notification's parameters hold, in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

JOB_KINDS: dict[str, str | Promise] = {
    "quality.run": _("Logic checks of the register"),
    "benefits.compute": _("Computing a benefit cycle"),
    "exchange.import": _("Importing a department roster"),
    "exchange.link": _("Linking a department roster"),
    "reports.generate": _("Generating reports"),
    "indicators.compute": _("Computing the statistics"),
    "targets.compute": _("Computing the figures of a year's targets"),
}


def label_of(name: str, value: Any) -> Any:
    """The label of ``value`` if parameter ``name`` holds a code, else the value itself."""
    if name == "kind":
        from renkou.registry.choices import EventKind

        try:
            return str(EventKind(value).label)
        except ValueError:
            return value
    if name == "job":
        return str(JOB_KINDS.get(value, value))
    if name == "programme":
        from renkou.benefits.models import Cycle

        choices = dict(Cycle._meta.get_field("programme").flatchoices)
        return str(choices.get(value, value))
    if name == "category":
        from renkou.cases.choices import Category

        try:
            return str(Category(value).label)
        except ValueError:
            return value
    return value
