"""The benefits app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    """Family benefit programmes (家庭发展 / 利益导向)."""

    name = "renkou.benefits"
    label = "benefits"
    verbose_name = _("Family benefits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from renkou.benefits import jobs  # noqa: F401 (registers the background job kind)
        from renkou.benefits.signals import on_event_applied
        from renkou.registry.signals import event_applied

        event_applied.connect(on_event_applied, dispatch_uid="benefits.death_stop")
        _read_local_programmes()


def _read_local_programmes() -> None:
    """Read the local programmes (DATA_DIR/programmes/*.yaml); refuse to start on a problem."""
    from django.core.exceptions import ImproperlyConfigured

    from renkou.benefits.local import LocalProgrammeError, reload

    try:
        reload()
    except LocalProgrammeError as exc:
        raise ImproperlyConfigured(exc.bilingual()) from exc
