from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    """Request routing: the engine, its model versions, suggestions and officers' decisions."""

    name = "grassroots.routing"
    label = "routing"
    verbose_name = _("Request routing")
