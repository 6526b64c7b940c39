"""Import of liaison rosters (联系名册) from .xlsx or .csv: one row per liaison.

The file is read with the register importer's readers (``grassroots.territory.importing.readers``: .xlsx in
openpyxl's read-only mode, CSV in UTF-8 with or without BOM, UTF-16 or GBK/GB18030). Every row is checked
with a handful of queries per batch (none per row); every problem names its row, column and reason; nothing
is written unless every row is valid, and then all liaisons go in one transaction with one audit entry.
``dry_run`` checks only. ``progress(phase, done, total)`` reports "validate" and "write".

Pages run an import as a ``LiaisonImportJob``: the upload is stored, checked (a dry run), and imported after
the person confirms; small files in the request, large ones in a background thread whose progress the
page polls (the job row is updated outside the write transaction).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grassroots.common.audit import audit_record
from grassroots.common.errors import DomainError, Forbidden
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.importing.readers import FileProblem, binary, cell_text, open_source, scan
from grassroots.territory.importing.report import RowError
from grassroots.territory.models import Grid, Household, ImportJobStatus, Organization
from grassroots.workforce.models import Officer

from . import coverage
from .models import Liaison, LiaisonImportJob, LiaisonKind

logger = logging.getLogger(__name__)
BATCH_ROWS = 5000
MAX_DUTIES = 300
ProgressCallback = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class RosterColumn:
    key: str
    header_zh: str
    header_en: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[RosterColumn, ...] = (
    RosterColumn("staff_number", "工号", "staff_number", True, ("干警工号", "警号", "人员编号", "officer")),
    RosterColumn("kind", "联系类型", "kind", True, ("类型", "联系方式类型", "type")),
    RosterColumn(
        "target",
        "联系对象",
        "target",
        True,
        ("对象", "户编号/单位/网格", "联系对象编号", "户编号", "单位名称", "网格编码"),
    ),
    RosterColumn("start", "开始日期", "start", True, ("起始日期", "开始时间", "联系开始日期")),
    RosterColumn("end", "结束日期", "end", False, ("终止日期", "结束时间")),
    RosterColumn("end_reason", "结束原因", "end_reason", False, ("终止原因",)),
    RosterColumn("duties", "职责", "duties", False, ("工作职责", "联系职责")),
)
KIND_WORDS = {
    LiaisonKind.HOUSEHOLD: ("household", "联系农户", "农户", "户", "联系户", "法官联系农户"),
    LiaisonKind.ORGANIZATION: ("organization", "organisation", "法制副职", "单位", "法治副职"),
    LiaisonKind.GRID: ("grid", "网格", "网格员", "法官进网格", "进网格"),
}
_KINDS = {word.lower(): kind for kind, words in KIND_WORDS.items() for word in words}


def _header_key(text: str) -> str:
    text = (text or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s*＊:：_\-]+", "", text)


_HEADERS = {
    _header_key(alias): column.key
    for column in COLUMNS
    for alias in (column.key, column.header_zh, column.header_en, *column.aliases)
}


def _map_headers(headers: list[str]) -> tuple[dict[int, str], dict[str, str], list[RowError]]:
    index: dict[int, str] = {}
    names: dict[str, str] = {}
    problems: list[RowError] = []
    for position, text in enumerate(headers):
        key = _HEADERS.get(_header_key(str(text or "")))
        if key is None:
            continue
        if key in names:
            problems.append(
                RowError(1, str(text), _("repeats the column “%(first)s”") % {"first": names[key]}, "header")
            )
            continue
        index[position], names[key] = key, str(text).strip()
    chinese = any(re.search(r"[\u4e00-\u9fff]", str(h or "")) for h in headers)
    for column in COLUMNS:
        if column.key not in names:
            names[column.key] = column.header_zh if chinese else column.header_en
            if column.required:
                problems.append(
                    RowError(1, names[column.key], _("required column is missing"), "missing_column")
                )
    return index, names, problems


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def _date(value: Any) -> date | None:
    """A date from a cell: an Excel date, or text YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYY年M月D日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(cell_text(value))
    if match is None:
        raise ValueError
    return date(*(int(x) for x in match.groups()))


@dataclass
class RosterRow:
    row: int
    officer: Officer
    kind: str
    target: Household | Organization | Grid
    start: date
    end: date | None
    end_reason: str
    duties: str


@dataclass
class RosterReport:
    file_name: str
    sha256: str = ""
    dry_run: bool = False
    rows_read: int = 0
    liaisons: int = 0  # created, or (dry run, rejected) that would be created
    by_kind: dict[str, int] = field(default_factory=dict)
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors

    def as_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "liaisons": self.liaisons,
            "by_kind": self.by_kind,
            "committed": self.committed,
            "error_count": len(self.errors),
            "errors": [[e.row, e.column, e.message, e.code] for e in errors],
        }


def require_roster_right(actor: Actor) -> None:
    if not (actor.is_admin or actor.role == Role.LEADER):
        raise Forbidden("Only a unit leader or an administrator imports liaison rosters")


def _in_scope(actor: Actor, path: str, grid_id: int | None) -> bool:
    return actor.is_admin or any(path.startswith(p) for p in actor.region_paths) or grid_id in actor.grid_ids


class _Checker:
    """Checks raw rows batch by batch: a few queries per batch, none per row."""

    def __init__(self, actor: Actor, names: dict[str, str]):
        self.actor, self.names = actor, names
        self.rows: list[RosterRow] = []
        self.errors: list[RowError] = []
        self.seen: dict[tuple, list[tuple[int, date, date | None]]] = defaultdict(list)
        self.visible_officers = (
            None if actor.is_admin else set(Officer.objects.visible_to(actor).values_list("pk", flat=True))
        )

    def error(self, row: int, key: str, message: str, code: str = "invalid") -> None:
        self.errors.append(RowError(row, self.names[key], message, code))

    def check(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        numbers = {cell_text(v.get("staff_number")) for _, v in batch}
        officers = {o.staff_number: o for o in Officer.objects.filter(staff_number__in=numbers)}
        wanted: dict[str, set[str]] = defaultdict(set)
        kinds: dict[int, str | None] = {}
        for row, values in batch:
            kinds[row] = _KINDS.get(cell_text(values.get("kind")).lower())
            if kinds[row]:
                wanted[kinds[row]].add(cell_text(values.get("target")))
        households = {
            h.number: h
            for h in Household.objects.filter(number__in=wanted[LiaisonKind.HOUSEHOLD]).select_related(
                "region"
            )
        }
        names = wanted[LiaisonKind.ORGANIZATION]
        organizations: dict[str, list[Organization]] = defaultdict(list)
        for org in Organization.objects.filter(Q(name__in=names) | Q(credit_code__in=names)).select_related(
            "region"
        ):
            for key in {org.name, org.credit_code} - {""}:
                organizations[key].append(org)
        grids = {
            g.code: g for g in Grid.objects.filter(code__in=wanted[LiaisonKind.GRID]).select_related("region")
        }
        parsed = []
        for row, values in batch:
            item = self._row(row, values, officers, kinds[row], households, organizations, grids)
            if item is not None:
                parsed.append(item)
        self._check_existing(parsed)
        self.rows += parsed

    def _row(self, row, values, officers, kind, households, organizations, grids) -> RosterRow | None:
        ok = True
        number = cell_text(values.get("staff_number"))
        officer = officers.get(number)
        if not number:
            self.error(row, "staff_number", _("is required"), "required")
            ok = False
        elif officer is None or (
            self.visible_officers is not None and officer.pk not in self.visible_officers
        ):
            self.error(
                row,
                "staff_number",
                _("no officer %(number)s in your units") % {"number": number},
                "not_found",
            )
            ok = False
        elif not officer.is_active:
            self.error(row, "staff_number", _("officer %(number)s is not active") % {"number": number})
            ok = False
        text = cell_text(values.get("target"))
        target = None
        if kind is None:
            self.error(
                row,
                "kind",
                _("must be 联系农户 (household), 法制副职 (organisation) or 网格 (grid)"),
                "choice",
            )
            ok = False
        elif not text:
            self.error(row, "target", _("is required"), "required")
            ok = False
        else:
            target = self._target(row, kind, text, households, organizations, grids)
            ok = ok and target is not None
        start = end = None
        try:
            start = _date(values.get("start"))
        except ValueError:
            message = (
                _("is required") if not cell_text(values.get("start")) else _("is not a date (YYYY-MM-DD)")
            )
            self.error(row, "start", message, "date")
            ok = False
        if cell_text(values.get("end")):
            try:
                end = _date(values.get("end"))
            except ValueError:
                self.error(row, "end", _("is not a date (YYYY-MM-DD)"), "date")
                ok = False
        reason = cell_text(values.get("end_reason"))
        if start and end and end < start:
            self.error(row, "end", _("is before the start"))
            ok = False
        if end and not reason:
            self.error(row, "end_reason", _("give the reason the liaison ended"), "required")
            ok = False
        if len(reason) > 200:
            self.error(row, "end_reason", _("is longer than 200 characters"))
            ok = False
        duties = cell_text(values.get("duties"))
        if len(duties) > MAX_DUTIES:
            self.error(row, "duties", _("is longer than %(n)s characters") % {"n": MAX_DUTIES})
            ok = False
        if not ok:
            return None
        key = (officer.pk, kind, target.pk)
        for other_row, other_start, other_end in self.seen[key]:
            if _overlap(start, end, other_start, other_end):
                self.error(
                    row,
                    "target",
                    _("repeats row %(row)s for the same officer and period") % {"row": other_row},
                    "duplicate",
                )
                return None
        self.seen[key].append((row, start, end))
        return RosterRow(row, officer, kind, target, start, end, reason, duties)

    def _target(self, row, kind, text, households, organizations, grids):
        if kind == LiaisonKind.HOUSEHOLD:
            target = households.get(text)
            place = (target.region.path, target.grid_id) if target else None
            missing = _("no household %(number)s") % {"number": text}
        elif kind == LiaisonKind.ORGANIZATION:
            found = organizations.get(text, [])
            if len(found) > 1:
                self.error(
                    row,
                    "target",
                    _("several organisations are called %(name)s: give the credit code") % {"name": text},
                    "ambiguous",
                )
                return None
            target = found[0] if found else None
            place = (target.region.path, None) if target else None
            missing = _("no organisation %(name)s") % {"name": text}
        else:
            target = grids.get(text)
            place = (target.region.path, target.pk) if target else None
            missing = _("no grid %(code)s") % {"code": text}
        if target is None or not _in_scope(self.actor, *place):
            self.error(
                row,
                "target",
                missing
                if target is None
                else _("%(target)s is outside your jurisdiction") % {"target": text},
                "not_found" if target is None else "scope",
            )
            return None
        if getattr(target, "is_active", True) is False:
            self.error(row, "target", _("%(target)s is no longer active") % {"target": text})
            return None
        return target

    def _check_existing(self, parsed: list[RosterRow]) -> None:
        """Rows overlapping a liaison already recorded for the same officer and target."""
        if not parsed:
            return
        by_kind: dict[str, set[int]] = defaultdict(set)
        for item in parsed:
            by_kind[item.kind].add(item.target.pk)
        condition = Q(pk__in=[])
        for kind, ids in by_kind.items():
            condition |= Q(kind=kind, **{f"{kind}_id__in": ids})
        existing: dict[tuple, list[tuple[date, date | None]]] = defaultdict(list)
        for officer_id, kind, h, o, g, start, end in Liaison.objects.filter(
            condition, officer_id__in={i.officer.pk for i in parsed}
        ).values_list("officer_id", "kind", "household_id", "organization_id", "grid_id", "start", "end"):
            target_id = {LiaisonKind.HOUSEHOLD: h, LiaisonKind.ORGANIZATION: o, LiaisonKind.GRID: g}[kind]
            existing[(officer_id, kind, target_id)].append((start, end))
        kept = []
        for item in parsed:
            clash = next(
                (
                    (s, e)
                    for s, e in existing[(item.officer.pk, item.kind, item.target.pk)]
                    if _overlap(item.start, item.end, s, e)
                ),
                None,
            )
            if clash is None:
                kept.append(item)
            else:
                since = clash[0].isoformat() + (f"–{clash[1].isoformat()}" if clash[1] else "")
                self.error(
                    item.row,
                    "target",
                    _("already has a liaison with this officer (%(since)s)") % {"since": since},
                    "duplicate",
                )
        parsed[:] = kept


def _grid_id(item: RosterRow) -> int | None:
    if item.kind == LiaisonKind.HOUSEHOLD:
        return item.target.grid_id
    return item.target.pk if item.kind == LiaisonKind.GRID else None


def _overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return a_start <= (b_end or date.max) and b_start <= (a_end or date.max)


def liaison_roster_import(
    *,
    actor: Actor | Any,
    path_or_file: str | os.PathLike[str] | IO[bytes],
    file_name: str,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> RosterReport:
    """Check a roster and, unless ``dry_run`` or any row has an error, write every liaison in it."""
    actor = as_actor(actor)
    require_roster_right(actor)
    report = RosterReport(file_name=file_name, dry_run=dry_run)
    with binary(path_or_file) as handle:
        report.sha256, lines, utf8 = scan(handle)
        try:
            source = open_source(handle, file_name, lines, utf8)
            index, names, problems = _map_headers(source.headers)
            if problems:
                report.errors = problems
                source.rows.close()
                return report
            checker = _Checker(actor, names)
            batch: list[tuple[int, dict[str, Any]]] = []
            for number, cells in source.rows:
                values = {key: cells[i] if i < len(cells) else None for i, key in index.items()}
                if not any(cell_text(v) for v in values.values()):
                    continue  # blank lines between blocks
                report.rows_read += 1
                batch.append((number, values))
                if len(batch) >= BATCH_ROWS:
                    checker.check(batch)
                    batch = []
                    if progress:
                        progress("validate", report.rows_read, source.total_estimate)
            checker.check(batch)
        except FileProblem as exc:
            report.errors.append(RowError(0, "", str(exc), "file"))
            return report
    if progress:
        progress("validate", report.rows_read, report.rows_read)
    report.errors = sorted(checker.errors, key=lambda e: (e.row, e.column))
    report.liaisons = len(checker.rows)
    for item in checker.rows:
        report.by_kind[item.kind] = report.by_kind.get(item.kind, 0) + 1
    if report.rows_read == 0 and not report.errors:
        report.errors.append(RowError(2, "", _("the file has no data rows"), "empty"))
    if dry_run or report.errors:
        return report
    if progress:
        progress("write", 0, report.liaisons)
    started = timezone.now()
    with transaction.atomic():
        created = Liaison.objects.bulk_create(
            [
                Liaison(
                    officer=item.officer,
                    kind=item.kind,
                    household=item.target if item.kind == LiaisonKind.HOUSEHOLD else None,
                    organization=item.target if item.kind == LiaisonKind.ORGANIZATION else None,
                    grid_id=_grid_id(item),
                    region_id=item.target.region_id,
                    county_id=item.target.county_id,
                    duties=item.duties,
                    start=item.start,
                    end=item.end,
                    end_reason=item.end_reason,
                    created_by=actor.user,
                )
                for item in checker.rows
            ],
            batch_size=2000,
        )
        if created and created[0].pk is not None:
            coverage.duties_refresh(liaisons=Liaison.objects.filter(pk__in=[c.pk for c in created]))
        else:  # a backend without RETURNING on bulk insert
            coverage.duties_refresh(
                liaisons=Liaison.objects.filter(created_by=actor.user, created_at__gte=started)
            )
        audit_record(
            actor=actor,
            action="liaison.import",
            obj=None,
            data={
                "file": file_name,
                "sha256": report.sha256,
                "rows": report.rows_read,
                "created": report.by_kind,
            },
        )
    report.committed = True
    if progress:
        progress("write", report.liaisons, report.liaisons)
    return report


# ----------------------------------------------------------------------------------------- page jobs

JOB_ERROR_LIMIT = 2000
JOB_STALE_AFTER = timedelta(seconds=120)
S = ImportJobStatus


def _jobs_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "liaison-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def roster_job_create(*, actor: Actor | Any, upload: Any, file_name: str) -> LiaisonImportJob:
    """Store an uploaded roster server-side and open a job for it (nothing is checked yet)."""
    actor = as_actor(actor)
    require_roster_right(actor)
    suffix = Path(file_name).suffix.lower()
    stored = _jobs_dir() / f"{uuid.uuid4().hex}{suffix if suffix in ('.csv', '.xlsx', '.xlsm') else ''}"
    with open(stored, "wb") as out:
        for chunk in (
            upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
        ):
            out.write(chunk)
    return LiaisonImportJob.objects.create(
        created_by=actor.user, file_name=Path(file_name).name[:255], stored_path=str(stored)
    )


def roster_job_stale(job: LiaisonImportJob) -> bool:
    beat = job.heartbeat_at or job.created_at
    return job.status in LiaisonImportJob.RUNNING and timezone.now() - beat > JOB_STALE_AFTER


class _JobProgress:
    """Progress to the job row, at most once a second, never inside the write transaction (where no other
    connection would see it, and where on SQLite it would wait for the import's own lock)."""

    def __init__(self, job_id: int):
        self.job_id, self.last = job_id, 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if connection.in_atomic_block or (now - self.last < 1.0 and not (total and done >= total)):
            return
        self.last = now
        LiaisonImportJob.objects.filter(pk=self.job_id).update(
            phase=phase, rows_processed=done, rows_total=total or 0, heartbeat_at=timezone.now()
        )


def roster_job_run(*, job_id: int, confirm: bool) -> LiaisonImportJob:
    """Run a claimed job: the dry run, or (``confirm``) the import. Safe to run again after a crash."""
    job = LiaisonImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        if not os.path.exists(job.stored_path):
            raise FileNotFoundError(job.stored_path)
        report = liaison_roster_import(
            actor=job.created_by,
            path_or_file=job.stored_path,
            file_name=job.file_name,
            dry_run=not confirm,
            progress=_JobProgress(job.pk),
        )
    except FileNotFoundError:
        status, message, data = (
            S.FAILED,
            _("The uploaded file is no longer on the server; upload it again."),
            job.report,
        )
    except DomainError as exc:
        status, message, data = S.FAILED, str(exc.message), job.report
    except Exception:
        logger.exception("liaison roster import job %s failed", job_id)
        status, message, data = (
            S.FAILED,
            _("The import stopped unexpectedly; nothing was written."),
            job.report,
        )
    else:
        data, message = report.as_dict(JOB_ERROR_LIMIT), ""
        status = S.REJECTED if report.errors else (S.DONE if confirm else S.VALIDATED)
    LiaisonImportJob.objects.filter(pk=job_id).update(
        status=status,
        report=data,
        message=message[:500],
        rows_processed=data.get("rows_read", 0),
        rows_total=data.get("rows_read", 0),
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if status == S.DONE:
        Path(job.stored_path).unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def roster_job_start(*, actor: Actor | Any, job: LiaisonImportJob, confirm: bool) -> bool:
    """Claim the job and run it: in this request for small files, else in a background thread. False when
    the job is not in a state to start (running, finished, or not yours)."""
    actor = as_actor(actor)
    if job.created_by_id != actor.pk:
        raise Forbidden("Only the person who uploaded the file may import it")
    stale = roster_job_stale(job)
    allowed = (
        [S.VALIDATED] + ([S.IMPORTING] if stale else [])
        if confirm
        else [S.QUEUED, S.REJECTED, S.FAILED] + ([S.VALIDATING] if stale else [])
    )
    claimed = LiaisonImportJob.objects.filter(pk=job.pk, status__in=allowed).update(
        status=S.IMPORTING if confirm else S.VALIDATING,
        heartbeat_at=timezone.now(),
        rows_processed=0,
        phase="",
    )
    if not claimed:
        return False
    try:
        size = os.path.getsize(job.stored_path)
    except OSError:
        size = 0
    if size <= int(getattr(settings, "REGISTER_IMPORT_SYNC_MAX_BYTES", 256 * 1024)):
        roster_job_run(job_id=job.pk, confirm=confirm)
        return True
    language = translation.get_language() or settings.LANGUAGE_CODE

    def work() -> None:
        try:
            with translation.override(language):
                roster_job_run(job_id=job.pk, confirm=confirm)
        finally:
            connections.close_all()  # this thread's connection must not outlive it

    transaction.on_commit(threading.Thread(target=work, name=f"liaison-import-{job.pk}", daemon=True).start)
    return True
