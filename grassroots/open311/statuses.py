"""Between the casework workflow and Open311's statuses.

GeoReport v2 knows ``open`` and ``closed``; the mySociety extension's update statuses are richer. Reading,
each casework event maps to one extended status (or to none, for steps a client need not see: a paused
clock, an extension). Writing, each extended status is a short chain of casework actions from the
request's current state; a status with no chain from that state is refused and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from grassroots.casework.workflow import OPEN, Action, Status

EXTENDED = (
    "OPEN",
    "INVESTIGATING",
    "IN_PROGRESS",
    "ACTION_SCHEDULED",
    "FIXED",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
    "CLOSED",
    "CANCELLED",
    "REOPEN",
)

OUTCOME_STATUS = {
    "fulfilled": "FIXED",
    "agreement": "FIXED",
    "transferred": "INTERNAL_REFERRAL",
    "explained": "NO_FURTHER_ACTION",
    "unable": "NO_FURTHER_ACTION",
    "litigation": "NO_FURTHER_ACTION",
}

ACTION_STATUS = {
    "intake": "OPEN",
    "link": "DUPLICATE",
    str(Action.ACCEPT): "INVESTIGATING",
    str(Action.REJECT): "NO_FURTHER_ACTION",
    str(Action.REDIRECT): "NOT_COUNCILS_RESPONSIBILITY",
    str(Action.ASSIGN): "ACTION_SCHEDULED",
    str(Action.RETURN): "INTERNAL_REFERRAL",
    str(Action.REASSIGN): "INTERNAL_REFERRAL",
    str(Action.START): "IN_PROGRESS",
    str(Action.CLOSE): "CLOSED",
    str(Action.REOPEN): "REOPEN",
    str(Action.REOPEN_DISSATISFIED): "REOPEN",
}

# The casework actions GET servicerequestupdates lists (the others, a paused clock or an extension, are
# steps a client need not see).
LISTED_ACTIONS = (*ACTION_STATUS, str(Action.RESOLVE))

STATUS_LABELS = {
    "OPEN": _("Registered"),
    "INVESTIGATING": _("Accepted and being looked into"),
    "IN_PROGRESS": _("Work in progress"),
    "ACTION_SCHEDULED": _("Assigned to a handling unit"),
    "FIXED": _("Fixed"),
    "DUPLICATE": _("Handled together with an earlier report"),
    "NOT_COUNCILS_RESPONSIBILITY": _("Passed to the body responsible"),
    "NO_FURTHER_ACTION": _("No further action"),
    "INTERNAL_REFERRAL": _("Referred within the office"),
    "CLOSED": _("Closed"),
    "CANCELLED": _("Cancelled"),
    "REOPEN": _("Reopened"),
}


def public_status(status: str) -> str:
    """GeoReport's two statuses: open while someone still has to act, closed once handled or refused."""
    return "open" if status in OPEN else "closed"


def event_status(action: str, data: dict | None = None) -> str | None:
    """The extended status a casework event shows as, or None for a step clients do not see."""
    if action == Action.RESOLVE:
        return OUTCOME_STATUS.get((data or {}).get("outcome", ""), "FIXED")
    return ACTION_STATUS.get(str(action))


def current_status(status: str, outcome: str = "") -> str:
    """The extended status a request is in now, from its casework status (and outcome once resolved)."""
    return {
        Status.REGISTERED: "OPEN",
        Status.ACCEPTED: "INVESTIGATING",
        Status.ASSIGNED: "ACTION_SCHEDULED",
        Status.IN_PROGRESS: "IN_PROGRESS",
        Status.RESOLVED: OUTCOME_STATUS.get(outcome, "FIXED"),
        Status.FOLLOW_UP: OUTCOME_STATUS.get(outcome, "FIXED"),
        Status.CLOSED: "CLOSED",
        Status.REJECTED: "NO_FURTHER_ACTION",
        Status.REDIRECTED: "NOT_COUNCILS_RESPONSIBILITY",
        Status.REOPENED: "REOPEN",
    }.get(status, "OPEN")


@dataclass(frozen=True)
class Step:
    action: str
    outcome: str = ""


A = Action
S = Status
_TO_WORK = {
    S.REGISTERED: (Step(A.ACCEPT), Step(A.ASSIGN)),
    S.ACCEPTED: (Step(A.ASSIGN),),
    S.REOPENED: (Step(A.ASSIGN),),
}
_REOPEN = {S.RESOLVED: (Step(A.REOPEN),), S.FOLLOW_UP: (Step(A.REOPEN),), S.CLOSED: (Step(A.REOPEN),)}

# extended status -> {current casework status: the actions that get there}
PLANS: dict[str, dict[str, tuple[Step, ...]]] = {
    "INVESTIGATING": {S.REGISTERED: (Step(A.ACCEPT),)},
    "ACTION_SCHEDULED": dict(_TO_WORK),
    "IN_PROGRESS": {
        **{status: (*steps, Step(A.START)) for status, steps in _TO_WORK.items()},
        S.ASSIGNED: (Step(A.START),),
    },
    "FIXED": {
        S.ASSIGNED: (Step(A.START), Step(A.RESOLVE, "fulfilled")),
        S.IN_PROGRESS: (Step(A.RESOLVE, "fulfilled"),),
    },
    "NO_FURTHER_ACTION": {
        S.REGISTERED: (Step(A.REJECT),),
        S.IN_PROGRESS: (Step(A.RESOLVE, "explained"),),
    },
    "NOT_COUNCILS_RESPONSIBILITY": {S.REGISTERED: (Step(A.REDIRECT),), S.ACCEPTED: (Step(A.REDIRECT),)},
    "INTERNAL_REFERRAL": {S.ASSIGNED: (Step(A.RETURN),), S.IN_PROGRESS: (Step(A.RESOLVE, "transferred"),)},
    "DUPLICATE": {S.REGISTERED: (Step(A.REJECT),)},
    "CANCELLED": {S.REGISTERED: (Step(A.REJECT),)},
    "CLOSED": {S.RESOLVED: (Step(A.SCHEDULE_FOLLOW_UP), Step(A.CLOSE)), S.FOLLOW_UP: (Step(A.CLOSE),)},
    "REOPEN": dict(_REOPEN),
    "OPEN": dict(_REOPEN),
}


def is_comment(extended: str, status: str, outcome: str = "") -> bool:
    """A posted status the request already shows: the update is a comment, no transition."""
    if extended == "OPEN" and status in OPEN:
        return True
    return extended == current_status(status, outcome)


def plan(extended: str, status: str) -> tuple[Step, ...] | None:
    """The casework actions that take a request from ``status`` to ``extended``, or None."""
    return PLANS.get(extended, {}).get(status)
