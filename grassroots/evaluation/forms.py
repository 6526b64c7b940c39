from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.workforce.models import Unit

from .indicators import INDICATOR_LIST
from .models import AdjustmentKind, EvaluationRun, Grade, HonourTitle, RunStatus, SchemeVersion, VersionStatus
from .services import previous_quarter, quarter_of


def recent_quarters(count: int = 8) -> list[tuple[str, str]]:
    choices = []
    day = timezone.localdate()
    for _n in range(count):
        start, end, label = quarter_of(day)
        if start <= timezone.localdate():
            choices.append((label, f"{label} ({start:%Y-%m-%d} – {end:%Y-%m-%d})"))
        day = start - timedelta(days=1)
    return choices


class RunForm(forms.Form):
    scheme_version = forms.ModelChoiceField(label=_("Scheme version"), queryset=SchemeVersion.objects.none())
    quarter = forms.ChoiceField(label=_("Quarter"), required=False)
    period_start = forms.DateField(
        label=_("or from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    unit = forms.ModelChoiceField(label=_("Unit (and below)"), queryset=Unit.objects.none(), required=False)
    label = forms.CharField(label=_("Label"), max_length=80, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme_version"].queryset = SchemeVersion.objects.exclude(
            status=VersionStatus.DRAFT
        ).select_related("scheme")
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).order_by("path")
        self.fields["quarter"].choices = [("", "—"), *recent_quarters()]
        self.fields["quarter"].initial = previous_quarter(timezone.localdate())[2]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end:
            return cleaned
        quarter = cleaned.get("quarter")
        if not quarter:
            raise forms.ValidationError(_("Choose a quarter, or give both dates."))
        year, number = int(quarter[:4]), int(quarter[-1])
        first, last, label = quarter_of(timezone.datetime(year, 3 * number - 2, 1).date())
        cleaned.update(period_start=first, period_end=last, label=cleaned.get("label") or label)
        return cleaned


class ResultFilterForm(forms.Form):
    q = forms.CharField(label=_("Officer"), required=False)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    peer_group = forms.CharField(label=_("Peer group"), required=False)
    grade = forms.ChoiceField(label=_("Grade"), choices=[("", "—"), *Grade.choices], required=False)


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong, and why"), widget=forms.Textarea(attrs={"rows": 3}))


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AdjustmentKind.choices)
    score_delta = forms.FloatField(label=_("Score change"), required=False)
    grade = forms.ChoiceField(label=_("New grade"), choices=[("", "—"), *Grade.choices], required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    score_delta = forms.FloatField(label=_("Score change (upheld appeal)"), required=False)
    grade = forms.ChoiceField(
        label=_("New grade (upheld appeal)"), choices=[("", "—"), *Grade.choices], required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=1440, initial=60)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()


class GoalForm(forms.Form):
    title = forms.CharField(label=_("Goal"), max_length=200)
    indicator = forms.ChoiceField(
        label=_("Indicator"),
        required=False,
        choices=[("", "—"), *[(i.code, i.label) for i in INDICATOR_LIST]],
    )
    target_value = forms.FloatField(label=_("Target value"), required=False)
    due_on = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class NominateForm(forms.Form):
    title = forms.ModelChoiceField(label=_("Honour title"), queryset=HonourTitle.objects.none())
    run = forms.ModelChoiceField(label=_("From the run"), queryset=EvaluationRun.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].queryset = HonourTitle.objects.filter(is_active=True)
        self.fields["run"].queryset = EvaluationRun.objects.filter(status=RunStatus.PUBLISHED)


class NominationDecisionForm(forms.Form):
    reason = forms.CharField(label=_("Committee's reason"), widget=forms.Textarea(attrs={"rows": 2}))
    citation = forms.CharField(label=_("Citation"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)
