"""Words for a scorecard's outcomes, as users read them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

STATUS_LABELS = {
    "met": _("met"),
    "partial": _("partly met"),
    "below_floor": _("beyond the floor"),
    "failed": _("not met"),
    "indistinguishable": _("not distinguishable"),
    "no_data": _("no figure"),
}


def status_label(status: str) -> str:
    """The user's word for a target's outcome."""
    return str(STATUS_LABELS[status])
