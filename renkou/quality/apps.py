"""The data-quality app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """The quality app."""

    name = "renkou.quality"
    verbose_name = _("Data quality")

    def ready(self) -> None:
        from renkou.quality import jobs  # noqa: F401 (registers the background job kind)
