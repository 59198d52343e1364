"""The population register."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """The registry app."""

    name = "renkou.registry"
    verbose_name = _("Population register")
