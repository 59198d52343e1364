"""Service programmes (国免, 两癌, 婚检): records kept with consent, and their rates."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    """Records the steps of voluntary health services, with consent, and their rates."""

    name = "renkou.health"
    label = "health"
    verbose_name = _("Health services")
    default_auto_field = "django.db.models.BigAutoField"
