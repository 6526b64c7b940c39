"""Forms of the casework pages. They check types and scope (choices come from the actor's scope); the
services decide everything else and their refusals are shown next to the form."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.territory.models import Grid, Region, RegionLevel
from grassroots.workforce.models import Officer, Unit

from .models import (
    Agreement,
    Channel,
    Confirmation,
    Kind,
    Mediator,
    Party,
    PartyRole,
    Risk,
    Satisfaction,
    SessionOutcome,
    Urgency,
)
from .workflow import Status

OUTCOME_LABELS = {
    "agreement": _("Agreement reached"),
    "explained": _("Explained to the reporter"),
    "litigation": _("Referred to litigation"),
    "transferred": _("Transferred"),
    "unable": _("Could not be resolved"),
    "fulfilled": _("Fulfilled"),
}

DEADLINE_LABELS = {
    "overdue": _("Overdue"),
    "due_soon": _("Due soon"),
    "paused": _("Clock paused"),
    "on_time": _("On time"),
    "none": _("No clock"),
}

FOLLOW_UP_MODES = [("phone", _("Phone")), ("visit", _("Visit")), ("message", _("Message"))]


def new_client_token() -> str:
    """One per rendered intake form: a resubmission of the same form is the same request."""
    return secrets.token_urlsafe(18)


def place_choices(regions: Iterable[Region]) -> list[Any]:
    """Townships with their villages as option groups; a county-wide pick comes first. With several
    counties, each group names its county too (two counties may both have a 城关镇)."""
    regions = sorted(regions, key=lambda r: r.path)
    by_pk = {r.pk: r for r in regions}
    counties = [r for r in regions if r.level == RegionLevel.COUNTY]
    townships = [r for r in regions if r.level == RegionLevel.TOWNSHIP]
    villages: dict[int, list[Region]] = {}
    for region in regions:
        if region.level == RegionLevel.VILLAGE:
            villages.setdefault(region.parent_id, []).append(region)
    several = len(counties) > 1
    whole_county, whole_township = _("whole county"), _("whole township")
    choices: list[Any] = [("", _("Choose the place…"))]
    for county in counties:
        choices.append((str(county.pk), f"{county.name} · {whole_county}"))
    for township in townships:
        county = by_pk.get(township.parent_id)
        label = f"{county.name} {township.name}" if several and county else township.name
        group = [(str(township.pk), f"{township.name} · {whole_township}")]
        group += [(str(v.pk), v.name) for v in villages.get(township.pk, [])]
        choices.append((label, group))
    return choices


class RegionChoiceField(forms.ChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions: dict[str, Region] = {}

    def set_regions(self, regions: Iterable[Region]) -> None:
        regions = list(regions)
        self.regions = {str(r.pk): r for r in regions}
        self.choices = place_choices(regions)

    def clean(self, value: Any) -> Region | None:
        value = super().clean(value)
        return self.regions.get(value) if value else None


class IntakeForm(forms.Form):
    """The window's intake form, in the order an officer fills it."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.WINDOW)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    region = RegionChoiceField(label=_("Place"))
    grid = forms.ChoiceField(label=_("Grid"), required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    reporter_resident = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reporter_name = forms.CharField(label=_("Reporter's name"), max_length=100, required=False)
    reporter_phone = forms.CharField(label=_("Reporter's phone"), max_length=32, required=False)
    is_anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    risk = forms.ChoiceField(label=_("Risk level"), choices=Risk.choices, initial=Risk.BLUE)
    is_confidential = forms.BooleanField(label=_("Confidential"), required=False)
    dispute_type = forms.CharField(label=_("Dispute type"), max_length=40, required=False)
    link_matter = forms.IntegerField(required=False, widget=forms.HiddenInput)
    client_token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, regions: Iterable[Region], grids: Iterable[Grid], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].set_regions(regions)
        self._keyboard_and_live_checks()
        # The grids of the chosen place only: the page reloads them when the place changes.
        grids = list(grids)
        self.fields["grid"].choices = [("", _("No grid"))] + [(str(g.pk), g.name) for g in grids]
        self.grids = {str(g.pk): g for g in grids}

    def _keyboard_and_live_checks(self) -> None:
        """Access keys for the fields an officer jumps to, and the live duplicate check (htmx) on the
        fields that identify a matter: what it is, where, and who raised it. The check follows ``input``
        (every change of the value: keys, a Chinese input method's committed text, a paste), half a
        second after the typing stops."""
        keys = {
            "kind": "k",
            "title": "t",
            "description": "d",
            "region": "p",
            "reporter_name": "n",
            "urgency": "u",
        }
        for name, key in keys.items():
            self.fields[name].widget.attrs["accesskey"] = key
        self.fields["kind"].widget.attrs["autofocus"] = True
        duplicates = {
            "hx-post": reverse("casework:intake-duplicates"),
            "hx-target": "#duplicates",
            "hx-include": "closest form",
            "hx-sync": "closest form:replace",
        }
        for name in ("title", "description", "reporter_phone"):
            self.fields[name].widget.attrs.update(duplicates, **{"hx-trigger": "input changed delay:500ms"})
        self.fields["region"].widget.attrs.update(duplicates, **{"hx-trigger": "change"})
        self.fields["grid"].widget.attrs.update(
            {
                "hx-get": reverse("casework:intake-grids"),
                "hx-trigger": "change from:#id_region",
                "hx-include": "#id_region",
                "hx-target": "this",
                "hx-swap": "innerHTML",
            }
        )


class ActionForm(forms.Form):
    """Any workflow action; the fields an action does not use are ignored."""

    action = forms.CharField(max_length=32)
    version = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=1000, required=False)
    outcome = forms.ChoiceField(choices=list(OUTCOME_LABELS.items()), required=False)
    days = forms.IntegerField(min_value=1, max_value=365, required=False)
    lead_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False)
    assist_units = forms.ModelMultipleChoiceField(queryset=Unit.objects.none(), required=False)
    assignee = forms.ModelChoiceField(queryset=Officer.objects.none(), required=False)
    next = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, units: Any = None, officers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["lead_unit"].queryset = units
            self.fields["assist_units"].queryset = units
        if officers is not None:
            self.fields["assignee"].queryset = officers


class FollowUpForm(forms.Form):
    reached = forms.TypedChoiceField(
        label=_("Reporter reached"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        initial="yes",
    )
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"), choices=[("", "—"), *Satisfaction.choices], required=False
    )
    mode = forms.ChoiceField(label=_("How"), choices=FOLLOW_UP_MODES, initial="phone")
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class PartyForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=PartyRole.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)


class SessionForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    mediators = forms.ModelMultipleChoiceField(
        label=_("Mediators"), queryset=Mediator.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    parties_present = forms.ModelMultipleChoiceField(
        label=_("Parties present"),
        queryset=Party.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=SessionOutcome.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, mediators: Any, parties: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"at": timezone.localtime().replace(second=0, microsecond=0)})
        super().__init__(*args, **kwargs)
        self.fields["mediators"].queryset = mediators
        self.fields["parties_present"].queryset = parties


class AgreementForm(forms.Form):
    facts = forms.CharField(label=_("Facts and matters in dispute"), widget=forms.Textarea(attrs={"rows": 3}))
    terms = forms.CharField(label=_("Terms agreed"), widget=forms.Textarea(attrs={"rows": 3}))
    performance = forms.CharField(label=_("Manner and time of performance"), max_length=500, required=False)
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"signed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ConfirmationForm(forms.Form):
    """The next step of judicial confirmation: apply for it, then record the court's decision."""

    confirmation = forms.ChoiceField(label=_("Judicial confirmation"))
    case_number = forms.CharField(label=_("Court case number"), max_length=60, required=False)

    NEXT = {
        Confirmation.NONE: [Confirmation.APPLIED],
        Confirmation.APPLIED: [Confirmation.CONFIRMED, Confirmation.REFUSED],
    }

    def __init__(self, *args: Any, agreement: Agreement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Confirmation.choices)
        self.fields["confirmation"].choices = [
            (value, labels[value]) for value in self.NEXT.get(agreement.confirmation, [])
        ]
        self.is_open = bool(self.fields["confirmation"].choices)


class DivertForm(forms.Form):
    court = forms.ModelChoiceField(label=_("Court"), queryset=Unit.objects.none())
    case_number = forms.CharField(label=_("Case number"), max_length=60, required=False)
    materials = forms.CharField(
        label=_("Materials handed over"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)

    def __init__(self, *args: Any, courts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["court"].queryset = courts


class MyRequestsFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Code or title"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "accesskey": "f", "autocomplete": "off"}),
    )
    deadline = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[("", _("Any deadline")), *[(k, v) for k, v in DEADLINE_LABELS.items() if k != "none"]],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All open")), *Status.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices])
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: (data.get(name) or "").strip() for name in ("q", "deadline", "status", "kind", "channel")
        }


# Public pages --------------------------------------------------------------------------------------------


PUBLIC_KINDS = [(k, label) for k, label in Kind.choices]


class PublicSubmitForm(forms.Form):
    """A resident's own report through the web. ``website`` is a honeypot (hidden from people) and
    ``started`` a signed render time: bots fill every field and submit at once."""

    kind = forms.ChoiceField(label=_("What is it about?"), choices=PUBLIC_KINDS, initial=Kind.HELP)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Describe the matter"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    region = RegionChoiceField(label=_("Place"))
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    is_anonymous = forms.BooleanField(label=_("Submit anonymously"), required=False)
    reporter_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    reporter_phone = forms.CharField(label=_("Your phone"), max_length=32, required=False)
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(widget=forms.HiddenInput)
    client_token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, regions: Iterable[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].set_regions(regions)


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=16)


class PublicFeedbackForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with how it was handled?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=1000
    )
