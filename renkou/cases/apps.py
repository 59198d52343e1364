"""Petitions and hotline cases (信访, 12356 热线)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Registers, assigns and closes petitions and hotline cases, with deadlines and rates."""

    name = "renkou.cases"
    label = "cases"
    verbose_name = _("Petitions and hotline")
    default_auto_field = "django.db.models.BigAutoField"
