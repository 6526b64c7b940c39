from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    """Request routing: a plain engine (no models) plus its management commands."""

    name = "grassroots.routing"
    label = "routing"
    verbose_name = _("Request routing")
