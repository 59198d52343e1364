"""The floating-population app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FloatingConfig(AppConfig):
    """Floating population (流动人口): messages between areas."""

    name = "renkou.floating"
    label = "floating"
    verbose_name = _("Floating population")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.floating.receivers import on_event_applied
        from renkou.registry.signals import event_applied

        event_applied.connect(on_event_applied, dispatch_uid="floating.arrival_notice")
