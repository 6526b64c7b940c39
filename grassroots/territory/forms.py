"""Forms of the register import and export pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Region, RegionLevel

REGISTER_SUFFIXES = (".xlsx", ".csv")
# A county register (~500k rows) as .csv is ~60 MB; the upload is streamed to disk, never held in memory.
REGISTER_MAX_BYTES = 200 * 1024 * 1024


class RegisterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Register file"),
        help_text=_(".xlsx or .csv (UTF-8 or GBK), one row per resident, header in the first row"),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in REGISTER_SUFFIXES:
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        if upload.size > REGISTER_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 200 MB; split it or use the command line.")
            )
        return upload


class RegisterExportForm(forms.Form):
    region = forms.CharField(
        label=_("Region code"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"list": "export-regions"}),
        help_text=_(
            "Leave empty for every household you can see; a county, township or village code narrows it."
        ),
    )
    unmasked = forms.BooleanField(
        label=_("Full ID and phone numbers"),
        required=False,
        help_text=_("Recorded in the audit log as a view of personal data."),
    )
    english_headers = forms.BooleanField(label=_("English column headers"), required=False)

    def __init__(self, *args: Any, regions: Any, may_unmask: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.regions = regions
        if not may_unmask:
            del self.fields["unmasked"]

    def clean_region(self) -> str:
        code = (self.cleaned_data.get("region") or "").strip()
        if code and not self.regions.filter(code=code).exists():
            raise forms.ValidationError(_("Unknown region code."))
        return code


def export_region_choices(regions: Any) -> list[Region]:
    """Regions offered in the export form's list: county and township levels (villages are typed)."""
    return list(
        regions.filter(level__lte=RegionLevel.TOWNSHIP).only("code", "name", "level").order_by("path")
    )
