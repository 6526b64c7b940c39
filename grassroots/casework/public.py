"""What the public may do with a tracking code besides reading the status: leave feedback.

Feedback from the tracking page is advice, not the follow-up (回访): the follow-up is an independent return
call or visit by someone other than the resolver, and only it closes or reopens a matter. Anyone holding
the code could otherwise close a matter with "satisfied" (the handler included), which is exactly the
gaming the follow-up exists to prevent. So the resident's words are written, tamper-evident, into the
audit log against the request, and the request's page shows them to whoever makes the follow-up call.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from grassroots.common.audit import audit_record
from grassroots.common.errors import FieldError, ValidationFailed
from grassroots.common.models import AuditEntry

from .models import Request, Satisfaction
from .services import InvalidTransition
from .workflow import Status

FEEDBACK_ACTION = "request.public_feedback"
AWAITING_FEEDBACK = frozenset({Status.RESOLVED, Status.FOLLOW_UP})


def public_feedback_record(*, request: Request, satisfaction: str, comment: str = "") -> AuditEntry:
    """Record what a resident said on the tracking page; the request's status does not change."""
    if request.status not in AWAITING_FEEDBACK:
        raise InvalidTransition(f"A request that is {request.status} is not awaiting feedback")
    errors = []
    if satisfaction not in Satisfaction.values:
        errors.append(FieldError("satisfaction", f"must be one of {', '.join(Satisfaction.values)}"))
    if len(comment) > 1000:
        errors.append(FieldError("comment", "is longer than 1000 characters"))
    if errors:
        raise ValidationFailed("Feedback not recorded", errors)
    return audit_record(
        actor=AnonymousUser(),
        action=FEEDBACK_ACTION,
        obj=request,
        data={"satisfaction": satisfaction, "comment": comment.strip(), "status": request.status},
    )


def public_feedback_list(*, request: Request) -> QuerySet[AuditEntry] | Any:
    """The feedback left for a request on the tracking page, newest first."""
    return AuditEntry.objects.filter(
        object_type=Request._meta.label_lower, object_id=str(request.pk), action=FEEDBACK_ACTION
    ).order_by("-id")
