"""Django app of the reports: statistical forms, the work summary, their charts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The reports app."""

    name = "renkou.reports"
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.reports import jobs  # noqa: F401 (registers the background job kind)
