"""Retention of personal data (PIPL art. 19 and 47): contact details are kept no longer than the purpose needs.

A matter that ended (closed after its follow-up, rejected or redirected) more than ``RETENTION_YEARS`` ago
(default 3) keeps its record — category, place, clock, outcome, text and timeline stay for statistics, the
evaluation record and the archive — but loses the contact details of its reporter and its parties: the
reporter's name and phone, each party's name, phone and address. The link to a registered resident stays
(the register has its own lifecycle), so repeat-request counts stay right. One audit entry per batch records
which requests were erased and why; running it again finds nothing more to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from grassroots.common.audit import audit_record

from .models import Request
from .models_mediation import Party
from .workflow import Status

ENDED = (Status.CLOSED, Status.REJECTED, Status.REDIRECTED)
BATCH = 1_000
ERASED_PARTY_NAME = "—"


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    requests: int
    parties: int


def retention_cutoff(*, now: datetime | None = None, years: float | None = None) -> datetime:
    years = float(getattr(settings, "RETENTION_YEARS", 3) if years is None else years)
    return (now or timezone.now()) - timedelta(days=round(365.25 * years))


def requests_past_retention(cutoff: datetime) -> QuerySet[Request]:
    """Ended matters older than the cutoff that still hold a reporter's or a party's contact details."""
    ended = Q(status__in=ENDED) & (
        Q(resolved_at__lt=cutoff) | Q(resolved_at__isnull=True, updated_at__lt=cutoff)
    )
    holding = (
        ~Q(reporter_name="")
        | ~Q(reporter_phone_encrypted="")
        | Q(parties__in=Party.objects.exclude(name=ERASED_PARTY_NAME, phone_encrypted="", address=""))
    )
    return Request.objects.filter(ended).filter(holding).distinct()


def personal_data_erase(
    *,
    cutoff: datetime | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RetentionResult:
    """Erase the contact details of the matters past retention, in batches of ``BATCH`` (each one transaction
    with its audit entry, so an interrupted run leaves whole batches and resumes where it stopped)."""
    cutoff = cutoff or retention_cutoff()
    ids = list(requests_past_retention(cutoff).order_by("pk").values_list("pk", flat=True))
    if dry_run:
        return RetentionResult(cutoff, len(ids), Party.objects.filter(request_id__in=ids).count())
    erased_requests = erased_parties = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        with transaction.atomic():
            erased_requests += Request.objects.filter(pk__in=batch).update(
                reporter_name="",
                reporter_phone_encrypted="",
                reporter_phone_hash="",
                reporter_phone_masked="",
            )
            erased_parties += Party.objects.filter(request_id__in=batch).update(
                name=ERASED_PARTY_NAME, phone_encrypted="", phone_hash="", phone_masked="", address=""
            )
            audit_record(
                actor=None,
                action="retention.erase",
                data={"requests": batch, "cutoff": cutoff.isoformat()},
                reason="retention period ended (RETENTION_YEARS)",
            )
        if progress:
            progress(min(start + BATCH, len(ids)), len(ids))
    return RetentionResult(cutoff, erased_requests, erased_parties)
