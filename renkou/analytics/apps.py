"""Django app of the analytics package (it owns the indicator cache)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The analytics app."""

    name = "renkou.analytics"
    verbose_name = _("Vital statistics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.analytics import jobs  # noqa: F401 (registers the background job kind)
        from renkou.analytics.signals import on_event_applied
        from renkou.registry.signals import event_applied

        event_applied.connect(on_event_applied, dispatch_uid="analytics.refresh")
