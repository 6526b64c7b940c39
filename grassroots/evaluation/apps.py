from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    """Evaluation computed from the record (考评), mentoring (传帮带) and exemplars (先进典型)."""

    name = "grassroots.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")
