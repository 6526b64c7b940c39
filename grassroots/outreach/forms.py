from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.casework.models import Kind
from grassroots.territory.models import CareTag, OrganizationKind

from .models import EventKind, EventStatus, HouseholdArea, LiaisonKind, RuleTarget, VisitMode

GROUP_CHOICES = [
    ("officer", _("Officer")),
    ("grid", _("Grid")),
    ("village", _("Village / community")),
    ("township", _("Township / street")),
    ("county", _("County")),
    ("unit", _("Unit")),
]


class VisitForm(forms.Form):
    target = forms.CharField(label=_("Household number or organisation"), max_length=200)
    visited_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=VisitMode.choices, widget=forms.RadioSelect)
    met = forms.CharField(label=_("Who was met"), max_length=200, required=False)
    summary = forms.CharField(
        label=pgettext_lazy("outreach", "Summary"), widget=forms.Textarea(attrs={"rows": 3})
    )
    needs = forms.CharField(label=_("Needs found"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    raise_request = forms.BooleanField(label=_("Raise a request from the needs found"), required=False)
    request_kind = forms.ChoiceField(
        label=_("Request kind"), choices=Kind.choices, initial=Kind.HELP, required=False
    )
    photo = forms.FileField(
        label=_("Photo (JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png", "capture": "environment"}),
    )
    client_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self.fields["mode"].initial = VisitMode.IN_PERSON

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("raise_request") and not (cleaned.get("needs") or "").strip():
            self.add_error("needs", _("Describe the needs found to raise a request from them."))
        return cleaned


class BulkVisitForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    mode = forms.ChoiceField(label=_("Mode"), choices=VisitMode.choices)
    rows = forms.CharField(
        label=_("Visits, one per line: household number | who was met | summary | needs"),
        widget=forms.Textarea(attrs={"rows": 10}),
    )


class LiaisonForm(forms.Form):
    officer = forms.CharField(label=_("Officer staff number"), max_length=32)
    kind = forms.ChoiceField(label=_("Kind"), choices=LiaisonKind.choices)
    target = forms.CharField(
        label=_("Household number, organisation name, grid code or region code"), max_length=200
    )
    whole_area = forms.BooleanField(
        label=_("Every household of this grid / village / township"), required=False
    )
    start = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    duties = forms.CharField(label=_("Duties"), max_length=300, required=False)


class EndForm(forms.Form):
    end = forms.DateField(label=_("End"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput)


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    region = forms.CharField(label=_("Place (region code)"), max_length=20)
    organization = forms.CharField(
        label=_("Organisation (name or credit code, optional)"), max_length=200, required=False
    )
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    officers = forms.CharField(label=_("Officers (staff numbers, comma-separated)"), max_length=500)
    topics = forms.CharField(label=_("Topics"), max_length=300, required=False)


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=EventStatus.choices)
    attendance = forms.IntegerField(label=_("Attendance"), min_value=0, required=False)
    topics = forms.CharField(label=_("Topics"), max_length=300, required=False)
    requests = forms.CharField(
        label=_("Cases heard or mediated (tracking codes)"), max_length=500, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class BoardForm(forms.Form):
    public_phone = forms.CharField(label=_("Public phone"), max_length=32, required=False)
    duties = forms.CharField(label=_("Duties"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    is_published = forms.BooleanField(
        label=_("Publish the board (photo visible to the public)"), required=False
    )
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"), required=False)


class HandoverForm(forms.Form):
    from_officer = forms.CharField(label=_("From (staff number)"), max_length=32)
    to_officer = forms.CharField(label=_("To (staff number)"), max_length=32)
    on = forms.DateField(
        label=_("First day of the new liaison"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RuleForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("outreach", "Name"), max_length=120)
    applies_to = forms.ChoiceField(label=_("Applies to"), choices=RuleTarget.choices)
    interval_days = forms.IntegerField(label=_("Interval (days)"), min_value=1, max_value=366)
    care_tag = forms.ModelChoiceField(
        label=_("Care tag"),
        queryset=CareTag.objects.order_by("sort_order", "code"),
        required=False,
        empty_label=_("any household"),
    )
    household_area = forms.ChoiceField(
        label=_("Household type"), choices=HouseholdArea.choices, required=False
    )
    organization_kind = forms.ChoiceField(
        label=_("Organisation kind"),
        choices=[("", _("any organisation")), *OrganizationKind.choices],
        required=False,
    )
    county = forms.CharField(label=_("County code (empty: everywhere)"), max_length=20, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
