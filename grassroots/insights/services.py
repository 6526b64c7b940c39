"""Insights writes: raising a warning (by the detection, as the system), escalating it at once to the leaders
whose scope it falls in, acknowledging and closing it (by a person), and refreshing the villages' map
points. Each is one transaction with its audit entry; a person names the version they read."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext_noop

from grassroots.casework.models import Request
from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, ValidationFailed
from grassroots.common.scoping import Actor, as_actor

from . import danger
from . import rollup as _rollup
from .models import EarlyWarning, PlacePoint, Severity, WarningKind, WarningStatus
from .selectors import require_insights, warning_get

logger = logging.getLogger(__name__)


def warning_raise(
    *,
    actor: Actor | Any = None,
    kind: str,
    subject: str,
    region: Any,
    facts: dict[str, Any],
    evidence: Iterable[Request] = (),
    severity: str = Severity.MEDIUM,
    category: Any = None,
    grid: Any = None,
    request: Request | None = None,
    min_new: int = 1,
) -> tuple[EarlyWarning, bool]:
    """Record a warning about ``subject`` (what it is about, e.g. one household or one category in one
    township) once per episode: returns ``(warning, created)``.

    While a warning about the same subject is open or acknowledged, a new finding only adds its new evidence
    (recorded in the audit log). After it was closed, a new warning is raised only when at least ``min_new``
    of the evidence was registered after the closing; otherwise the closed one stands."""
    if kind not in WarningKind.values:
        raise ValidationFailed(
            "Warning not raised", [FieldError("kind", "is not a warning kind", code="invalid")]
        )
    from grassroots.territory.services import region_county

    evidence = list(evidence)
    subject = subject[:160]
    try:
        with transaction.atomic():
            episodes = EarlyWarning.objects.select_for_update().filter(kind=kind, subject=subject)
            current = episodes.exclude(status=WarningStatus.CLOSED).order_by("-detected_at").first()
            if current is not None:
                _add_evidence(actor, current, evidence)
                return current, False
            closed = episodes.filter(status=WarningStatus.CLOSED).order_by("-closed_at").first()
            if closed is not None and sum(1 for r in evidence if r.created_at > closed.closed_at) < min_new:
                return closed, False
            number = episodes.count() + 1
            warning = EarlyWarning.objects.create(
                key=f"{subject}#{number}",
                subject=subject,
                kind=kind,
                severity=severity,
                region=region,
                county=region_county(region),
                grid=grid,
                category=category,
                request=request,
                facts=facts,
                detected_at=timezone.now(),
            )
            if evidence:
                warning.evidence.add(*evidence)
            audit_record(
                actor=actor,
                action="warning.raise",
                obj=warning,
                data={
                    "kind": kind,
                    "subject": subject,
                    "severity": severity,
                    "evidence": [r.pk for r in evidence],
                },
            )
    except IntegrityError:
        # Raised at the same moment by another run: the first one stands.
        return EarlyWarning.objects.filter(kind=kind, subject=subject).order_by("-detected_at").first(), False
    return warning, True


def _add_evidence(actor: Any, warning: EarlyWarning, evidence: list[Request]) -> None:
    known = set(warning.evidence.values_list("pk", flat=True))
    new = [r for r in evidence if r.pk not in known]
    if new:
        warning.evidence.add(*new)
        audit_record(actor=actor, action="warning.evidence", obj=warning, data={"added": [r.pk for r in new]})


def _locked(actor: Actor, warning: EarlyWarning, version: int) -> EarlyWarning:
    warning_get(actor=actor, pk=warning.pk)  # 404 when out of scope
    locked = EarlyWarning.objects.select_for_update().get(pk=warning.pk)
    if locked.version != version:
        raise Conflict("This warning was changed by someone else; reload it")
    return locked


def warning_acknowledge(
    *, actor: Actor | Any, warning: EarlyWarning, version: int, note: str = ""
) -> EarlyWarning:
    """A person has seen the warning and takes it on."""
    actor = require_insights(as_actor(actor))
    with transaction.atomic():
        locked = _locked(actor, warning, version)
        if locked.status != WarningStatus.OPEN:
            raise ValidationFailed(
                "Warning not acknowledged",
                [
                    FieldError(
                        "status", gettext_noop("only an open warning can be acknowledged"), code="invalid"
                    )
                ],
            )
        locked.status = WarningStatus.ACKNOWLEDGED
        locked.acknowledged_by = actor.user
        locked.acknowledged_at = timezone.now()
        if note.strip():
            locked.note = _append(locked.note, note)
        locked.version += 1
        locked.save()
        audit_record(actor=actor, action="warning.acknowledge", obj=locked, data={"note": note.strip()})
    return locked


def warning_close(*, actor: Actor | Any, warning: EarlyWarning, version: int, note: str) -> EarlyWarning:
    """Close a warning with what was done (a note is required). An open warning is acknowledged at once."""
    actor = require_insights(as_actor(actor))
    if not (note or "").strip():
        raise ValidationFailed(
            "Warning not closed", [FieldError("note", gettext_noop("is required"), code="required")]
        )
    with transaction.atomic():
        locked = _locked(actor, warning, version)
        if locked.status == WarningStatus.CLOSED:
            raise ValidationFailed(
                "Warning not closed",
                [FieldError("status", gettext_noop("is already closed"), code="invalid")],
            )
        now = timezone.now()
        if locked.acknowledged_at is None:
            locked.acknowledged_by, locked.acknowledged_at = actor.user, now
        locked.status = WarningStatus.CLOSED
        locked.closed_by, locked.closed_at = actor.user, now
        locked.note = _append(locked.note, note)
        locked.version += 1
        locked.save()
        audit_record(actor=actor, action="warning.close", obj=locked, data={"note": note.strip()})
    return locked


def _append(existing: str, note: str) -> str:
    return f"{existing}\n{note.strip()}".strip()


# -------------------------------------------------------------------------------------------- escalation


def leaders_for(region: Any, grid: Any = None) -> list[Any]:
    """The active leader accounts whose scope holds this place: leaders of a unit whose subtree has the
    place in its jurisdiction (found through the units, then checked with the scoping rule itself)."""
    from django.contrib.auth import get_user_model

    from grassroots.common.models import Role
    from grassroots.common.scoping import actor_for
    from grassroots.workforce.models import Assignment, Unit

    prefixes = []
    path = ""
    for code in [c for c in region.path.split("/") if c]:
        path += f"{code}/"
        prefixes.append(path)
    covering = Unit.objects.filter(region__path__in=prefixes).values_list("path", flat=True)
    unit_codes = {c for p in covering for c in p.split("/") if c}
    candidates = (
        Assignment.objects.current()
        .filter(
            post__unit__code__in=unit_codes, officer__user__role=Role.LEADER, officer__user__is_active=True
        )
        .values_list("officer__user_id", flat=True)
        .distinct()
    )
    users = get_user_model().objects.filter(pk__in=list(candidates)).order_by("pk")
    found = []
    for user in users:
        actor = actor_for(user)
        in_area = any(region.path.startswith(p) for p in actor.region_paths)
        if in_area or (grid is not None and grid.pk in actor.grid_ids):
            found.append(user)
    return found


def warning_escalate(*, warning: EarlyWarning, now: datetime | None = None) -> list[Any]:
    """Tell the leaders of the place at once (danger text, group risk): recorded on the warning and in the
    audit log, then e-mailed after the commit to those with an address. Done once per warning."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            EarlyWarning.objects.select_for_update(of=("self",))
            .select_related("region", "grid")
            .get(pk=warning.pk)
        )
        if locked.escalated_at is not None:
            return list(locked.escalated_to.all())
        leaders = leaders_for(locked.region, locked.grid)
        locked.escalated_at = now
        locked.save(update_fields=["escalated_at"])
        locked.escalated_to.set(leaders)
        audit_record(
            actor=None,
            action="warning.escalate",
            obj=locked,
            data={"to": [u.get_username() for u in leaders]},
        )
        addresses = [u.email for u in leaders if u.email]
        if addresses:
            transaction.on_commit(lambda: _mail_escalation(locked, addresses), robust=True)
    warning.escalated_at = now
    return leaders


def _mail_escalation(warning: EarlyWarning, addresses: list[str]) -> None:
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import override

    from .digests import warning_reason

    with override(settings.LANGUAGE_CODE):
        link = getattr(settings, "SITE_URL", "").rstrip("/") + reverse("insights:warning", args=[warning.pk])
        subject = _("Urgent warning: %(kind)s in %(place)s") % {
            "kind": warning.get_kind_display(),
            "place": warning.region.name,
        }
        body = f"{warning_reason(warning)}\n\n{link}"
    try:
        send_mail(subject, body, None, addresses)
    except Exception:  # the warning and its escalation are recorded; the mail is a courtesy
        logger.exception("escalation mail for warning %s failed", warning.pk)


# ------------------------------------------------------------------------------------------ danger text


def danger_check(*, request: Request, today: Any = None) -> list[EarlyWarning]:
    """Read a new request's text: danger signals raise a danger warning, words of many people acting
    together (联名, 集体上访, 几十户 …) a group-risk warning; high-severity ones are escalated at once."""
    text = f"{request.title}\n{request.description}"
    today = today or timezone.localdate()
    raised = []
    signals = danger.detect(text)
    if signals:
        facts = {
            "signals": [s.code for s in signals],
            "phrases": sorted({p for s in signals for p in s.phrases}),
            "before_holiday": danger.before_holiday(today),
        }
        warning, _ = warning_raise(
            kind=WarningKind.DANGER,
            subject=f"danger:{request.pk}",
            region=request.region,
            grid=request.grid,
            category=request.category,
            request=request,
            facts=facts,
            evidence=[request],
            severity=danger.severity_of(signals, today),
        )
        raised.append(warning)
    group = danger.group_phrases(text)
    if group:
        warning, _ = warning_raise(
            kind=WarningKind.GROUP,
            subject=f"group:{request.pk}",
            region=request.region,
            grid=request.grid,
            category=request.category,
            request=request,
            facts={"by": "text", "phrases": group},
            evidence=[request],
            severity=Severity.HIGH,
        )
        raised.append(warning)
    for warning in raised:
        if warning.severity == Severity.HIGH and warning.escalated_at is None:
            warning_escalate(warning=warning)
    return raised


# ------------------------------------------------------------------------------------------- map points


def place_points_refresh(*, actor: Actor | Any = None) -> int:
    """Each village's point: the mean coordinates of its active households that have them. Villages
    without any keep no point. Returns the number of points written."""
    from grassroots.territory.models import Household

    now = timezone.now()
    rows = list(
        Household.objects.filter(is_active=True, latitude__isnull=False, longitude__isnull=False)
        .order_by()
        .values("region_id")
        .annotate(lat=Avg("latitude"), lon=Avg("longitude"), n=Count("id"))
    )
    with transaction.atomic():
        PlacePoint.objects.exclude(region_id__in=[r["region_id"] for r in rows]).delete()
        existing = set(PlacePoint.objects.values_list("region_id", flat=True))
        fresh = [
            PlacePoint(
                region_id=r["region_id"],
                latitude=float(r["lat"]),
                longitude=float(r["lon"]),
                households=r["n"],
                updated_at=now,
            )
            for r in rows
        ]
        PlacePoint.objects.bulk_create([p for p in fresh if p.region_id not in existing], batch_size=1000)
        PlacePoint.objects.bulk_update(
            [p for p in fresh if p.region_id in existing],
            ["latitude", "longitude", "households", "updated_at"],
            batch_size=1000,
        )
        audit_record(actor=actor, action="insights.place_points", data={"points": len(fresh)})
    return len(fresh)


# -------------------------------------------------------------------------------------- request outcomes


def outcomes_refresh(*, batch_size: int = 5000, progress: Any = None) -> int:
    """Bring ``RequestOutcome`` up to date: rewrite the rows of the requests whose version moved (or that
    have none) from their history, in batches of one transaction each. Returns the number of requests
    rewritten; a second run right after rewrites none. Each row pairs the values with the version they were
    read at (one statement), so a request that changes meanwhile is simply read live until the next run."""
    from django.db.models import Exists, OuterRef

    from .figures import history_values
    from .models import RequestOutcome

    current = RequestOutcome.objects.filter(request=OuterRef("pk"), version=OuterRef("version"))
    stale = list(Request.objects.exclude(Exists(current)).order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    for start in range(0, len(stale), batch_size):
        chunk = stale[start : start + batch_size]
        rows = [
            RequestOutcome(
                request_id=r["pk"],
                version=r["version"],
                first_resolved_at=r["first_resolved_at"],
                satisfaction=r["satisfaction"],
                lead_unit_id=r["lead_unit_id"],
                refreshed_at=now,
            )
            for r in history_values(Request.objects.filter(pk__in=chunk))
        ]
        with transaction.atomic():
            RequestOutcome.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["request"],
                update_fields=[
                    "version",
                    "first_resolved_at",
                    "satisfaction",
                    "lead_unit_id",
                    "refreshed_at",
                ],
            )
        if progress:
            progress(len(chunk))
    if stale:
        audit_record(actor=None, action="insights.outcomes_refresh", data={"requests": len(stale)})
    return len(stale)


# The figure roll-up's refresh lives beside its reads (``insights.rollup``); it is a service like the others.
rollup_refresh = _rollup.rollup_refresh
