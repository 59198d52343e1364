"""Org units: the administrative tree."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgUnitsConfig(AppConfig):
    """The org-units app."""

    name = "renkou.orgunits"
    verbose_name = _("Org units")
