"""The exchange app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """Department rosters: import, staging, linkage results and the worklist."""

    name = "renkou.exchange"
    verbose_name = _("Department exchange")
