"""Filter forms of the list pages. Choices come from the selectors, so only values in scope validate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from grassroots.territory.models import CareTag, Grid, Region, RegionLevel
from grassroots.web.templatetags.web_tags import care_tag_name
from grassroots.workforce.models import Unit


class HouseholdFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"), required=False)
    grid = forms.ChoiceField(label=_("Grid"), required=False)
    care_tag = forms.ChoiceField(label=_("Care tag"), required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Household number or address"), "type": "search"}),
    )

    def __init__(
        self,
        data: Any,
        *,
        regions: Iterable[Region],
        grids: Iterable[Grid],
        care_tags: Iterable[CareTag],
    ) -> None:
        super().__init__(data)
        region_choices: list[tuple[str, str]] = [("", _("All regions"))]
        for region in regions:
            indent = "\u3000" * max(region.level - RegionLevel.COUNTY, 0)
            region_choices.append((region.code, f"{indent}{region.name}"))
        self.fields["region"].choices = region_choices
        self.fields["grid"].choices = [("", _("All grids"))] + [(g.code, g.name) for g in grids]
        self.fields["care_tag"].choices = [("", _("All care tags"))] + [
            (t.code, care_tag_name(t)) for t in care_tags
        ]

    def filters(self) -> dict[str, str]:
        """The valid filter values; an invalid one (e.g. a region outside scope) is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "region_code": data.get("region") or "",
            "grid_code": data.get("grid") or "",
            "care_tag": data.get("care_tag") or "",
            "search": (data.get("q") or "").strip(),
        }


class OfficerFilterForm(forms.Form):
    FRONT_LINE_CHOICES = [("", _("Any post")), ("yes", _("Front-line posts")), ("no", _("Other posts"))]

    unit = forms.ChoiceField(label=_("Unit"), required=False)
    front_line = forms.ChoiceField(label=_("Post type"), required=False, choices=FRONT_LINE_CHOICES)
    recruits = forms.BooleanField(label=_("New recruits only"), required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Name or staff number"), "type": "search"}),
    )

    def __init__(self, data: Any, *, units: Iterable[Unit]) -> None:
        super().__init__(data)
        units = list(units)
        top = min((unit.depth for unit in units), default=0)
        unit_choices: list[tuple[str, str]] = [("", _("All units"))]
        for unit in units:
            unit_choices.append((str(unit.pk), "\u3000" * (unit.depth - top) + unit.name))
        self.fields["unit"].choices = unit_choices

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        front_line = {"yes": True, "no": False}.get(data.get("front_line") or "")
        unit = data.get("unit")
        return {
            "unit_id": int(unit) if unit else None,
            "front_line": front_line,
            "recruits_only": bool(data.get("recruits")),
            "search": (data.get("q") or "").strip(),
        }


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Why you need the full details (optional)")}),
    )
