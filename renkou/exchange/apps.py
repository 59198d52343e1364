"""The exchange app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """Department rosters: import, staging, linkage results and the worklist."""

    name = "renkou.exchange"
    verbose_name = _("Department exchange")

    def ready(self) -> None:
        from renkou.exchange import jobs  # noqa: F401 (registers the background job kind)
