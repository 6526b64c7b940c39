"""Evaluation writes: schemes and their versions, runs (compute, publish, recompute), adjustments and appeals.

Every service takes the actor, validates before writing, writes in one transaction with its audit entry and
names the ``version`` it read where a person edits. Only the political/HR department (and administrators)
define schemes and run evaluations; a published run never changes (services refuse; on PostgreSQL a trigger
refuses too); adjustments and appeals are recorded beside it and decided by someone other than the
person who asked.
"""

from __future__ import annotations

import calendar
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone, translation

from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, ValidationFailed
from grassroots.common.scoping import Actor, as_actor
from grassroots.workforce.models import Unit

from . import compute
from .definition import DEFAULT_DEFINITION, METHOD_VERSION, definition_sha256, validate
from .indicators import Window
from .models import (
    EvaluationRun,
    OfficerResult,
    RunStatus,
    Scheme,
    SchemeVersion,
    UnitResult,
    VersionStatus,
)
from .population import population_officers
from .scoring import ScoredRun, results_sha256, score_run

logger = logging.getLogger(__name__)

# Runs with at most this many officers are computed in the request; larger ones in a background thread.
SYNC_MAX_OFFICERS = 400
RUN_STALE_AFTER = timedelta(minutes=5)


def require_hr(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_hr):
        raise Forbidden("Only the political/HR department manages evaluations")


def _check_version(obj: Any, expected: int | None) -> None:
    if expected is not None and obj.version != expected:
        raise Conflict(
            f"{obj._meta.verbose_name} {obj.pk} was changed by someone else (now version {obj.version}, "
            f"you read version {expected}); reload and try again"
        )


# ------------------------------------------------------------------------------------------ schemes


def scheme_create(
    *, actor: Actor | Any, code: str, name: str, description: str = "", definition: dict | None = None
) -> SchemeVersion:
    """A new scheme with its first version (a draft)."""
    actor = as_actor(actor)
    require_hr(actor)
    errors = []
    if not code.strip():
        errors.append(FieldError("code", "is required", code="required"))
    elif Scheme.objects.filter(code=code.strip()).exists():
        errors.append(FieldError("code", "is already used by another scheme", code="duplicate"))
    if not name.strip():
        errors.append(FieldError("name", "is required", code="required"))
    try:
        normal = validate(DEFAULT_DEFINITION if definition is None else definition)
    except ValidationFailed as exc:
        errors += [FieldError(f"definition.{e.field}", e.message, e.row, e.code) for e in exc.errors]
        normal = None
    if errors:
        raise ValidationFailed("Scheme not saved", errors)
    with transaction.atomic():
        scheme = Scheme.objects.create(
            code=code.strip(), name=name.strip(), description=description.strip(), created_by=actor.user
        )
        version = SchemeVersion.objects.create(
            scheme=scheme,
            number=1,
            definition=normal,
            definition_sha256=definition_sha256(normal),
            note="",
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="evaluation.scheme_create",
            obj=version,
            data={"scheme": scheme.code, "version": 1, "sha256": version.definition_sha256},
        )
    return version


def scheme_version_draft(*, actor: Actor | Any, scheme: Scheme, note: str = "") -> SchemeVersion:
    """A new draft version, copied from the latest version (one draft at a time)."""
    actor = as_actor(actor)
    require_hr(actor)
    with transaction.atomic():
        latest = SchemeVersion.objects.select_for_update().filter(scheme=scheme).order_by("-number").first()
        if latest is not None and latest.status == VersionStatus.DRAFT:
            raise Conflict(f"Version {latest.number} is already a draft: edit it")
        definition = latest.definition if latest else validate(DEFAULT_DEFINITION)
        version = SchemeVersion.objects.create(
            scheme=scheme,
            number=(latest.number if latest else 0) + 1,
            definition=definition,
            definition_sha256=definition_sha256(definition),
            note=note.strip()[:300],
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="evaluation.scheme_draft",
            obj=version,
            data={
                "scheme": scheme.code,
                "version": version.number,
                "from": latest.number if latest else None,
            },
        )
    return version


def scheme_version_update(
    *,
    actor: Actor | Any,
    version: SchemeVersion,
    definition: dict,
    note: str | None = None,
    expected_version: int | None = None,
) -> SchemeVersion:
    """Change a draft's definition. Active and retired versions never change."""
    actor = as_actor(actor)
    require_hr(actor)
    normal = validate(definition)
    with transaction.atomic():
        locked = SchemeVersion.objects.select_for_update().get(pk=version.pk)
        if locked.is_frozen:
            raise Conflict(f"Version {locked.number} is {locked.status}: draft a new version to change it")
        _check_version(locked, expected_version)
        before = locked.definition_sha256
        locked.definition = normal
        locked.definition_sha256 = definition_sha256(normal)
        if note is not None:
            locked.note = note.strip()[:300]
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        audit_record(
            actor=actor,
            action="evaluation.scheme_update",
            obj=locked,
            data={"before": before, "after": locked.definition_sha256},
        )
    return locked


def scheme_version_activate(
    *, actor: Actor | Any, version: SchemeVersion, expected_version: int | None = None
) -> SchemeVersion:
    """Make a draft the scheme's active version (the previous active one retires). From now on it is frozen."""
    actor = as_actor(actor)
    require_hr(actor)
    with transaction.atomic():
        locked = SchemeVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise Conflict(f"Version {locked.number} is already {locked.status}")
        _check_version(locked, expected_version)
        validate(locked.definition)
        SchemeVersion.objects.filter(scheme=locked.scheme, status=VersionStatus.ACTIVE).update(
            status=VersionStatus.RETIRED
        )
        locked.status = VersionStatus.ACTIVE
        locked.activated_by = actor.user
        locked.activated_at = timezone.now()
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        audit_record(
            actor=actor,
            action="evaluation.scheme_activate",
            obj=locked,
            data={"scheme": locked.scheme.code, "version": locked.number, "sha256": locked.definition_sha256},
        )
    return locked


# --------------------------------------------------------------------------------------------- runs


def quarter_of(day: date) -> tuple[date, date, str]:
    """The calendar quarter containing ``day``: (first day, last day, label)."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    last_month = first_month + 2
    start = date(day.year, first_month, 1)
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return start, end, f"{day.year}Q{(first_month - 1) // 3 + 1}"


def previous_quarter(day: date) -> tuple[date, date, str]:
    start, _end, _label = quarter_of(day)
    return quarter_of(start - timedelta(days=1))


def run_create(
    *,
    actor: Actor | Any,
    scheme_version: SchemeVersion,
    period_start: date,
    period_end: date,
    unit: Unit | None = None,
    label: str = "",
    as_of: datetime | None = None,
) -> EvaluationRun:
    """Open a run of a frozen scheme version over a period. The record is read as of ``as_of`` (default: the
    scheme's grace days after the period, or now when that is still ahead)."""
    actor = as_actor(actor)
    require_hr(actor)
    errors = []
    if scheme_version.status == VersionStatus.DRAFT:
        errors.append(FieldError("scheme_version", "activate the draft first: runs use frozen versions"))
    if period_end < period_start:
        errors.append(FieldError("period_end", "must not be before the start of the period"))
    elif (period_end - period_start).days > 400:
        errors.append(FieldError("period_end", "a period is at most 400 days"))
    now = timezone.now()
    if period_start > timezone.localdate(now):
        errors.append(FieldError("period_start", "the period has not begun"))
    if as_of is not None and as_of > now:
        errors.append(FieldError("as_of", "cannot be in the future"))
    if errors:
        raise ValidationFailed("Run not created", errors)
    if as_of is None:
        grace = timedelta(days=int(scheme_version.definition.get("grace_days", 15)))
        after = timezone.make_aware(datetime.combine(period_end + timedelta(days=1), dtime.min)) + grace
        as_of = min(now, after)
    if as_of < timezone.make_aware(datetime.combine(period_start, dtime.min)):
        raise ValidationFailed("Run not created", [FieldError("as_of", "is before the period")])
    label = label.strip() or f"{period_start:%Y-%m-%d}–{period_end:%Y-%m-%d}"
    with transaction.atomic():
        run = EvaluationRun.objects.create(
            scheme_version=scheme_version,
            unit=unit,
            label=label[:80],
            period_start=period_start,
            period_end=period_end,
            as_of=as_of,
            created_by=actor.user,
            method_version=METHOD_VERSION,
        )
        audit_record(
            actor=actor,
            action="evaluation.run_create",
            obj=run,
            data={
                "scheme": scheme_version.scheme.code,
                "version": scheme_version.number,
                "period": [period_start.isoformat(), period_end.isoformat()],
                "as_of": as_of.isoformat(),
                "unit": unit.code if unit else None,
            },
        )
    return run


class _RunProgress:
    """Writes a run's phase and progress to its row (outside any transaction) and to a terminal callback."""

    def __init__(self, run: EvaluationRun, echo: compute.Progress | None) -> None:
        self.run_id = run.pk
        self.echo = echo

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not connection.in_atomic_block:
            EvaluationRun.objects.filter(pk=self.run_id).update(
                phase=phase, done=done, total=total, heartbeat_at=timezone.now()
            )
        if self.echo is not None:
            self.echo(phase, done, total)


STEPS_AFTER_READING = ("scoring", "writing")


def _claim(run: EvaluationRun) -> bool:
    stale = timezone.now() - RUN_STALE_AFTER
    allowed = [RunStatus.QUEUED, RunStatus.FAILED]
    claimed = (
        EvaluationRun.objects.filter(pk=run.pk, status__in=allowed).update(
            status=RunStatus.COMPUTING, heartbeat_at=timezone.now(), message="", phase="", done=0
        )
    ) or EvaluationRun.objects.filter(pk=run.pk, status=RunStatus.COMPUTING, heartbeat_at__lt=stale).update(
        heartbeat_at=timezone.now(), message="", phase="", done=0
    )
    return bool(claimed)


def run_start(
    *,
    actor: Actor | Any,
    run: EvaluationRun,
    background: bool | None = None,
    progress: compute.Progress | None = None,
) -> EvaluationRun:
    """Compute a queued (or failed) run: in this request for small populations, else in a background thread
    whose progress the run's page shows. Re-running a computed draft reads the record again."""
    actor = as_actor(actor)
    require_hr(actor)
    run.refresh_from_db()
    if run.is_published:
        raise Conflict("A published run is never recomputed in place: open a new run")
    if run.status == RunStatus.COMPUTED:
        EvaluationRun.objects.filter(pk=run.pk, status=RunStatus.COMPUTED).update(status=RunStatus.QUEUED)
    if not _claim(run):
        raise Conflict("This run is already being computed")
    audit_record(actor=actor, action="evaluation.run_start", obj=run, data={"label": run.label})
    if background is None:
        window = compute.window_of(run)
        size = population_officers(window, run.unit).count()
        background = size > int(getattr(settings, "EVALUATION_SYNC_MAX_OFFICERS", SYNC_MAX_OFFICERS))
    if not background:
        return run_compute(run_id=run.pk, progress=progress)
    language = translation.get_language() or settings.LANGUAGE_CODE
    thread = threading.Thread(
        target=_compute_in_thread, args=(run.pk, language), name=f"evaluation-run-{run.pk}", daemon=True
    )
    transaction.on_commit(thread.start)
    run.refresh_from_db()
    return run


def _compute_in_thread(run_id: int, language: str) -> None:
    try:
        with translation.override(language):
            run_compute(run_id=run_id)
    except Exception:  # recorded on the run by run_compute
        logger.exception("evaluation run %s failed", run_id)
    finally:
        connections.close_all()


def run_compute(*, run_id: int, progress: compute.Progress | None = None) -> EvaluationRun:
    """Read the inputs, score them, and write the results in one transaction (the worker behind
    ``run_start`` and the ``evaluation_run`` command). A failure is recorded on the run; nothing is half
    written."""
    run = EvaluationRun.objects.select_related("scheme_version__scheme", "unit", "created_by").get(pk=run_id)
    tracker = _RunProgress(run, progress)
    total = len(compute.PHASES) + len(STEPS_AFTER_READING)
    started = time.perf_counter()
    try:
        inputs = compute.extract_inputs(
            window=compute.window_of(run), scheme_version=run.scheme_version, unit=run.unit, progress=tracker
        )
        tracker("scoring", len(compute.PHASES), total)
        scored = score_run(inputs)
        blob, digest = compute.encode_inputs(inputs)
        tracker("writing", len(compute.PHASES) + 1, total)
        with transaction.atomic():
            locked = EvaluationRun.objects.select_for_update().get(pk=run_id)
            if locked.status != RunStatus.COMPUTING:
                raise Conflict(f"Run {run_id} is {locked.status}, not computing")
            _write_results(locked, scored)
            EvaluationRun.objects.filter(pk=run_id).update(
                status=RunStatus.COMPUTED,
                inputs=blob,
                inputs_sha256=digest,
                results_sha256=scored.sha256,
                fitted_models=scored.models,
                libraries=compute.library_versions(),
                officer_count=len(scored.officers),
                seconds=round(time.perf_counter() - started, 2),
                computed_at=timezone.now(),
                phase="done",
                done=total,
                total=total,
                heartbeat_at=timezone.now(),
                version=F("version") + 1,
            )
            audit_record(
                actor=run.created_by,
                action="evaluation.run_compute",
                obj=locked,
                data={"officers": len(scored.officers), "inputs": digest, "results": scored.sha256},
            )
    except Exception as exc:
        EvaluationRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, message=str(exc)[:500], heartbeat_at=timezone.now()
        )
        raise
    if progress is not None:
        progress("done", total, total)
    return EvaluationRun.objects.get(pk=run_id)


def _write_results(run: EvaluationRun, scored: ScoredRun) -> None:
    OfficerResult.objects.filter(run=run).delete()
    UnitResult.objects.filter(run=run).delete()
    batch = 2000 if connection.vendor == "postgresql" else None
    OfficerResult.objects.bulk_create(
        [OfficerResult(run=run, **result_fields(r)) for r in scored.officers], batch_size=batch
    )
    UnitResult.objects.bulk_create(
        [
            UnitResult(
                run=run,
                unit_id=u["unit"],
                officer_count=u["officer_count"],
                mean_score=u["mean_score"],
                grade_counts=u["grade_counts"],
                breakdown=u["breakdown"],
            )
            for u in scored.units
        ],
        batch_size=batch,
    )


OFFICER_RESULT_KEYS = (
    "peer_group", "front_line_share", "front_line_credit", "service_years", "assessable", "score", "score_low",
    "score_high", "mass_work_score", "grade", "rank", "rank_best", "rank_worst", "size", "peer_rank",
    "peer_rank_best", "peer_rank_worst", "peer_size", "breakdown", "shortlisted", "shortlist_rank",
    "shortlist_reasons",
)  # fmt: skip


def result_fields(result: dict[str, Any]) -> dict[str, Any]:
    fields = {key: result.get(key) for key in OFFICER_RESULT_KEYS}
    fields.update(officer_id=result["officer"], unit_id=result["unit"], post_id=result["post"])
    fields["grade"] = fields["grade"] or ""
    fields["size"] = fields["size"] or 0
    fields["peer_size"] = fields["peer_size"] or 0
    return fields


def stored_results(run: EvaluationRun) -> dict[str, Any]:
    """The run's stored rows in the shape ``score_run`` produces (to compare and hash)."""
    officers = []
    for row in OfficerResult.objects.filter(run=run).order_by("officer_id").values():
        item = {key: row[key] for key in OFFICER_RESULT_KEYS}
        item.update(officer=row["officer_id"], unit=row["unit_id"], post=row["post_id"])
        officers.append(item)
    units = [
        {
            "unit": row["unit_id"],
            "officer_count": row["officer_count"],
            "mean_score": row["mean_score"],
            "grade_counts": row["grade_counts"],
            "breakdown": row["breakdown"],
        }
        for row in UnitResult.objects.filter(run=run).order_by("unit_id").values()
    ]
    return {"officers": officers, "units": units, "models": run.fitted_models}


def _comparable(results: dict[str, Any]) -> dict[str, Any]:
    def officer(r: dict[str, Any]) -> dict[str, Any]:
        item = {key: r.get(key) for key in ("officer", "unit", "post", *OFFICER_RESULT_KEYS)}
        item["grade"] = item["grade"] or ""
        item["size"] = item["size"] or 0
        item["peer_size"] = item["peer_size"] or 0
        return item

    return {
        "officers": sorted((officer(r) for r in results["officers"]), key=lambda r: r["officer"]),
        "units": sorted(results["units"], key=lambda u: u["unit"]),
        "models": results["models"],
    }


@dataclass
class RecomputeReport:
    inputs_intact: bool  # the stored inputs still hash to the stored SHA-256
    results_equal: bool  # scoring the stored inputs again gives the stored results, field for field
    results_sha256: str
    record_checked: bool = False
    record_unchanged: bool | None = None  # reading the record again gives the same inputs
    record_sha256: str = ""
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.inputs_intact and self.results_equal and self.record_unchanged is not False


def run_recompute(*, actor: Actor | Any, run: EvaluationRun, read_record: bool = False) -> RecomputeReport:
    """Recompute a computed or published run from its stored inputs and compare with what is stored;
    optionally read the record again for the same window and compare the inputs. Writes nothing but the
    audit entry of the check."""
    actor = as_actor(actor)
    require_hr(actor)
    run.refresh_from_db()
    if run.inputs is None:
        raise Conflict("This run has not been computed")
    blob = bytes(run.inputs)
    inputs = compute.decode_inputs(blob)
    _blob, digest = compute.encode_inputs(inputs)
    scored = score_run(inputs)
    expected = _comparable(stored_results(run))
    got = _comparable(scored.as_dict())
    differences = []
    for mine, theirs in zip(got["officers"], expected["officers"], strict=False):
        for key, value in mine.items():
            if theirs.get(key) != value:
                differences.append(f"officer {mine['officer']}: {key}")
    if len(got["officers"]) != len(expected["officers"]):
        differences.append("number of officer results")
    if got["units"] != expected["units"]:
        differences.append("unit results")
    if got["models"] != expected["models"]:
        differences.append("fitted models")
    report = RecomputeReport(
        inputs_intact=digest == run.inputs_sha256,
        results_equal=not differences and scored.sha256 == run.results_sha256,
        results_sha256=scored.sha256,
        differences=differences[:50],
    )
    if read_record:
        fresh = compute.extract_inputs(
            window=compute.window_of(run), scheme_version=run.scheme_version, unit=run.unit
        )
        _fresh_blob, fresh_digest = compute.encode_inputs(fresh)
        report.record_checked = True
        report.record_sha256 = fresh_digest
        report.record_unchanged = fresh_digest == run.inputs_sha256
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="evaluation.run_recompute",
            obj=run,
            data={
                "inputs_intact": report.inputs_intact,
                "results_equal": report.results_equal,
                "record_unchanged": report.record_unchanged,
            },
        )
    return report


def run_publish(
    *, actor: Actor | Any, run: EvaluationRun, expected_version: int | None = None
) -> EvaluationRun:
    """Publish a computed run after checking that its stored inputs recompute to its stored results; from
    now on it is immutable and officers and leaders see it."""
    actor = as_actor(actor)
    require_hr(actor)
    with transaction.atomic():
        locked = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.COMPUTED:
            raise Conflict(f"Only a computed run is published (this one is {locked.status})")
        _check_version(locked, expected_version)
        if locked.scheme_version.status == VersionStatus.DRAFT:
            raise Conflict("The run's scheme version is still a draft")
        report = run_recompute(actor=actor, run=locked)
        if not (report.inputs_intact and report.results_equal):
            raise Conflict(
                "The stored results do not recompute from the stored inputs: compute the run again"
            )
        EvaluationRun.objects.filter(pk=locked.pk).update(
            status=RunStatus.PUBLISHED,
            published_by=actor.user,
            published_at=timezone.now(),
            version=F("version") + 1,
        )
        audit_record(
            actor=actor,
            action="evaluation.run_publish",
            obj=locked,
            data={"inputs": locked.inputs_sha256, "results": locked.results_sha256},
        )
    return EvaluationRun.objects.get(pk=run.pk)


def run_discard(*, actor: Actor | Any, run: EvaluationRun, expected_version: int | None = None) -> None:
    """Remove a run that was never published (with its draft results)."""
    actor = as_actor(actor)
    require_hr(actor)
    with transaction.atomic():
        locked = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if locked.is_published:
            raise Conflict("A published run is never removed")
        if locked.status == RunStatus.COMPUTING:
            raise Conflict("The run is being computed")
        _check_version(locked, expected_version)
        if locked.nominations.exists():
            raise Conflict("Nominations were made from this run")
        audit_record(actor=actor, action="evaluation.run_discard", obj=locked, data={"label": locked.label})
        UnitResult.objects.filter(run=locked).delete()
        OfficerResult.objects.filter(run=locked).delete()
        locked.delete()


def window_for_run(run: EvaluationRun) -> Window:
    return compute.window_of(run)


__all__ = [
    "RecomputeReport",
    "previous_quarter",
    "quarter_of",
    "results_sha256",
    "run_compute",
    "run_create",
    "run_discard",
    "run_publish",
    "run_recompute",
    "run_start",
    "scheme_create",
    "scheme_version_activate",
    "scheme_version_draft",
    "scheme_version_update",
    "stored_results",
]
