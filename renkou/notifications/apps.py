"""In-app notifications (通知)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Tells users what waits for them: submissions to review, decisions, jobs, approvals."""

    name = "renkou.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.notifications import receivers

        receivers.connect()
