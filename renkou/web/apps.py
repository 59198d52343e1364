"""Web app: base templates, static assets, navigation."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The web app."""

    name = "renkou.web"
    verbose_name = _("Web")
