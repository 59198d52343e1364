"""Core app: audit log, request context, org-unit scoping, identity-number codec."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The core app."""

    name = "renkou.core"
    verbose_name = _("Core")
