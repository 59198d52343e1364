"""Target agreements and scorecards of units (目标管理责任书, 考核)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    """Agreements of targets on indicators, scores, rankings and watch lists of units."""

    name = "renkou.targets"
    label = "targets"
    verbose_name = _("Targets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.targets import jobs  # noqa: F401 (registers the background job kind)
