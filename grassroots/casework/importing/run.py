"""``request_import``: read, map and check every row, then write them all through the history writer, or none.

Rows are checked in full before anything is written; one bad row rejects the file and the report names every
problem (row, column, reason). Rows already imported from the same source (same record id) are counted and
skipped, so importing a file again changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils import timezone

from grassroots.common.errors import FieldError, Forbidden, ValidationFailed
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.importing.readers import FileProblem, binary, open_source, scan
from grassroots.territory.importing.report import ProgressCallback, RowError
from grassroots.territory.models import Region, RegionLevel

from ..history import HistoryError, history_token, requests_write_history
from ..models import Request
from .mapping import Mapping, MappingProblem, mapping_from_dict
from .validation import Lookups, row_to_record

ERROR_LIMIT = 2000  # kept in a report; error_count has the total


@dataclass
class RequestImportReport:
    file_name: str
    sha256: str = ""
    dry_run: bool = False
    rows_read: int = 0
    created: int = 0  # or, in a dry run, that would be created
    already_imported: int = 0
    committed: bool = False
    by_status: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors

    def as_dict(self, max_errors: int | None = ERROR_LIMIT) -> dict[str, Any]:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "created": self.created,
            "already_imported": self.already_imported,
            "committed": self.committed,
            "by_status": self.by_status,
            "error_count": len(self.errors),
            "errors": [[e.row, e.column, e.message, e.code] for e in errors],
        }


def require_import_right(actor: Actor, county: Region) -> None:
    """Officers, leaders and admins, for a county in their scope."""
    if actor.is_admin:
        return
    if not actor.is_staff_officer:
        raise Forbidden("Your role may not import requests")
    if not any(county.path.startswith(p) or p.startswith(county.path) for p in actor.county_paths):
        raise Forbidden("This county is outside your scope")


def request_import(
    *,
    actor: Actor | Any,
    path_or_file: str | os.PathLike[str] | IO[bytes],
    file_name: str,
    county: Region,
    mapping: Mapping | dict[str, Any],
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> RequestImportReport:
    """Import a request history file for ``county`` (see the module doc). File-level problems (unreadable
    file, wrong mapping) raise ``ValidationFailed``; row problems are returned in the report."""
    actor = as_actor(actor)
    if county.level != RegionLevel.COUNTY:
        raise ValidationFailed("Not imported", [FieldError("county", "must be a county")])
    require_import_right(actor, county)
    report = RequestImportReport(file_name=file_name, dry_run=dry_run)
    with binary(path_or_file) as handle:
        report.sha256, lines, utf8 = scan(handle)
        try:
            source = open_source(handle, file_name, lines, utf8)
            headers = [h.strip() for h in source.headers]
            if isinstance(mapping, dict):
                mapping = mapping_from_dict(mapping, headers)
            else:
                mapping = mapping_from_dict(mapping.as_dict(), headers)
        except (FileProblem, MappingProblem) as problem:
            raise ValidationFailed("Not imported", [FieldError("file", str(problem), row=0)]) from None
        index = {key: headers.index(header) for key, header in mapping.columns.items()}
        lookups = Lookups(county)
        now = timezone.now()
        records, seen = [], {}
        total = source.total_estimate
        for number, raw in source.rows:
            if not any(cell not in (None, "") and str(cell).strip() for cell in raw):
                continue
            report.rows_read += 1
            cells = {key: raw[i] if i < len(raw) else None for key, i in index.items()}
            record, errors = row_to_record(number, cells, mapping, lookups, now)
            if record is not None and record.record_id in seen:
                errors = [RowError(number, mapping.columns["record_id"],
                                   f"record {record.record_id} is also in row {seen[record.record_id]}")]  # fmt: skip
            if errors:
                report.errors.extend(errors)
            else:
                seen[record.record_id] = number
                records.append(record)
            if progress and report.rows_read % 500 == 0:
                progress("validate", report.rows_read, total)
    if progress:
        progress("validate", report.rows_read, report.rows_read)
    if report.rows_read == 0 and not report.errors:
        report.errors.append(RowError(0, "", "the file has no rows", "empty"))
    tokens = {(r.channel, history_token(mapping.source, r.record_id)) for r in records}
    existing = _existing(tokens)
    report.already_imported = len(existing)
    report.created = len(records) - len(existing)
    for record in records:
        if (record.channel, history_token(mapping.source, record.record_id)) not in existing:
            report.by_status[record.status] = report.by_status.get(record.status, 0) + 1
    if report.errors or dry_run:
        if report.errors:
            report.created = 0
        return report
    try:
        result = requests_write_history(
            actor=actor,
            records=records,
            source=mapping.source,
            progress=(lambda done: progress("write", done, len(records))) if progress else None,
            audit_data={"file": file_name, "sha256": report.sha256, "county": county.code},
        )
    except HistoryError as problem:
        record = records[problem.index]
        row = seen.get(record.record_id, 0)
        report.errors.append(RowError(row, mapping.columns["record_id"], str(problem).split(": ", 1)[-1]))
        report.created = 0
        return report
    report.created, report.already_imported = result.created, result.skipped
    report.committed = True
    return report


def _existing(tokens: set[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    by_channel: dict[str, list[str]] = {}
    for channel, token in tokens:
        by_channel.setdefault(channel, []).append(token)
    for channel, values in by_channel.items():
        for start in range(0, len(values), 900):
            chunk = values[start : start + 900]
            rows = Request.objects.filter(channel=channel, client_token__in=chunk).values_list(
                "client_token", flat=True
            )
            found.update((channel, token) for token in rows)
    return found
