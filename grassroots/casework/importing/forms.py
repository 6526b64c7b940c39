"""Forms of the request import pages: the upload, and the mapping of the file's columns and values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, paths_q
from grassroots.territory.models import Region, RegionLevel

from ..models import ImportMappingPreset
from .mapping import MAPPED_VALUES, OUR_VALUES, TARGETS, MappingProblem, mapping_from_dict

SUFFIXES = (".xlsx", ".xlsm", ".csv")
MAX_BYTES = 200 * 1024 * 1024


def counties_for(actor: Actor) -> Any:
    counties = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
    return counties if actor.is_admin else counties.filter(paths_q("path", actor.county_paths))


class RequestUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Request history file"),
        help_text=_(".xlsx or .csv (UTF-8 or GBK), one row per request, header in the first row"),
    )
    county = forms.ModelChoiceField(label=_("County"), queryset=Region.objects.none(), to_field_name="code")
    preset = forms.ModelChoiceField(
        label=_("Saved mapping"), queryset=ImportMappingPreset.objects.all(), required=False
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties_for(actor)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 200 MB; split it or use the command line.")
            )
        return upload


def _pairs_text(pairs: dict[str, str]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in pairs.items())


class MappingForm(forms.Form):
    """One select per field (the file's columns), value maps as ``source value = ours`` lines, defaults."""

    source = forms.CharField(
        label=_("Source system"),
        max_length=60,
        help_text=_(
            "A short name (e.g. lankao-12345); with the record id it keeps re-imports from duplicating."
        ),
    )
    default_kind = forms.ChoiceField(label=_("Kind when the file does not say"), required=False)
    default_channel = forms.ChoiceField(label=_("Channel when the file does not say"), required=False)
    default_lead_unit = forms.CharField(
        label=_("Lead unit when the file does not say (code)"), required=False
    )
    save_as = forms.CharField(label=_("Save this mapping as"), max_length=120, required=False)

    def __init__(
        self, *args: Any, headers: list[str], initial_mapping: dict[str, Any], **kwargs: Any
    ) -> None:
        columns = initial_mapping.get("columns", {})
        values = initial_mapping.get("values", {})
        defaults = initial_mapping.get("defaults", {})
        initial = {
            "source": initial_mapping.get("source", ""),
            "default_kind": defaults.get("kind", ""),
            "default_channel": defaults.get("channel", ""),
            "default_lead_unit": defaults.get("lead_unit", ""),
            **{f"col_{t.key}": columns.get(t.key, "") for t in TARGETS},
            **{f"values_{key}": _pairs_text(values.get(key, {})) for key in MAPPED_VALUES},
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.headers = headers
        header_choices = [("", "—"), *((h, h) for h in headers)]
        for target in TARGETS:
            self.fields[f"col_{target.key}"] = forms.ChoiceField(
                label=target.label, choices=header_choices, required=False
            )
        for key in MAPPED_VALUES:
            self.fields[f"values_{key}"] = forms.CharField(
                label=key, required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
        self.fields["default_kind"].choices = [("", "—"), *((v, v) for v in OUR_VALUES["kind"])]
        self.fields["default_channel"].choices = [("", "—"), *((v, v) for v in OUR_VALUES["channel"])]

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{t.key}"] for t in TARGETS]

    def value_fields(self) -> list[forms.BoundField]:
        return [self[f"values_{key}"] for key in MAPPED_VALUES]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        values: dict[str, dict[str, str]] = {}
        for key in MAPPED_VALUES:
            pairs = {}
            for number, line in enumerate((data.get(f"values_{key}") or "").splitlines(), start=1):
                if not line.strip():
                    continue
                if "=" not in line:
                    self.add_error(
                        f"values_{key}", _("line %(n)d: write 'source value = our value'") % {"n": number}
                    )
                    continue
                left, right = line.rsplit("=", 1)
                pairs[left.strip()] = right.strip()
            if pairs:
                values[key] = pairs
        defaults = {
            k: data.get(f"default_{k}") for k in ("kind", "channel", "lead_unit") if data.get(f"default_{k}")
        }
        raw = {
            "source": data.get("source", ""),
            "columns": {t.key: data.get(f"col_{t.key}") for t in TARGETS if data.get(f"col_{t.key}")},
            "values": values,
            "defaults": defaults,
        }
        if not self.errors:
            try:
                self.mapping = mapping_from_dict(raw, self.headers)
            except MappingProblem as problem:
                raise forms.ValidationError(str(problem)) from None
        return data
