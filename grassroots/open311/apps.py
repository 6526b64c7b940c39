from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    """Open311 GeoReport v2 server (with the mySociety two-way extensions) on top of casework."""

    name = "grassroots.open311"
    label = "open311"
    verbose_name = _("Open311")
