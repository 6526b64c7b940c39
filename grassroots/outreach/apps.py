from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    """Lasting contact: liaisons, visit duties and coverage, visits, outreach events, the officer's day."""

    name = "grassroots.outreach"
    label = "outreach"
    verbose_name = _("Outreach")
