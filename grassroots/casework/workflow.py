"""The casework workflow: states, actions and the one transition table.

Every status change is one row of ``TRANSITIONS``; ``services.request_transition`` is the only code that
applies them. Actions that do not change the status (a pause, an extension) are rows whose target equals
their source, so they pass the same guard, right check and event.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    REDIRECTED = "redirected", _("Redirected")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


class Action(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    REJECT = "reject", _("Reject")
    REDIRECT = "redirect", _("Redirect")
    ASSIGN = "assign", _("Assign")
    RETURN = "return", _("Return")
    REASSIGN = "reassign", _("Reassign")
    START = "start", _("Start work")
    PAUSE = "pause", _("Pause the clock")
    RESUME = "resume", _("Resume the clock")
    REQUEST_EXTENSION = "request_extension", _("Request an extension")
    APPROVE_EXTENSION = "approve_extension", _("Approve the extension")
    DENY_EXTENSION = "deny_extension", _("Deny the extension")
    RESOLVE = "resolve", _("Resolve")
    SCHEDULE_FOLLOW_UP = "schedule_follow_up", _("Schedule follow-up")
    CLOSE = "close", _("Close")
    REOPEN = "reopen", _("Reopen")
    REOPEN_DISSATISFIED = "reopen_dissatisfied", _("Reopen after a dissatisfied follow-up")


class Right(models.TextChoices):
    """Who may take an action (checked against the actor and the request in ``services``)."""

    INTAKE = "intake", _("Officer or leader with the request in scope")
    LEADER = "leader", _("Leader of the lead unit (or above)")
    HANDLER = "handler", _("Officer of the lead unit")
    FOLLOW_UP = "follow_up", _("Anyone in scope except the resolver")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the status stays as it is
    right: str
    needs_reason: bool = False


S = Status
# Keyed by the plain string value: enum members hash by name, so lookups normalise with str(action).
TRANSITIONS: dict[str, Transition] = {
    str(t.action): t
    for t in [
        Transition(Action.ACCEPT, frozenset({S.REGISTERED}), S.ACCEPTED, Right.INTAKE),
        Transition(Action.REJECT, frozenset({S.REGISTERED}), S.REJECTED, Right.INTAKE, needs_reason=True),
        Transition(
            Action.REDIRECT,
            frozenset({S.REGISTERED, S.ACCEPTED}),
            S.REDIRECTED,
            Right.INTAKE,
            needs_reason=True,
        ),
        Transition(Action.ASSIGN, frozenset({S.ACCEPTED, S.REOPENED}), S.ASSIGNED, Right.LEADER),
        Transition(Action.RETURN, frozenset({S.ASSIGNED}), S.ACCEPTED, Right.HANDLER, needs_reason=True),
        Transition(
            Action.REASSIGN,
            frozenset({S.ASSIGNED, S.IN_PROGRESS}),
            S.ASSIGNED,
            Right.LEADER,
            needs_reason=True,
        ),
        Transition(Action.START, frozenset({S.ASSIGNED}), S.IN_PROGRESS, Right.HANDLER),
        Transition(Action.PAUSE, frozenset({S.IN_PROGRESS}), None, Right.HANDLER, needs_reason=True),
        Transition(Action.RESUME, frozenset({S.IN_PROGRESS}), None, Right.HANDLER),
        Transition(
            Action.REQUEST_EXTENSION, frozenset({S.IN_PROGRESS}), None, Right.HANDLER, needs_reason=True
        ),
        Transition(Action.APPROVE_EXTENSION, frozenset({S.IN_PROGRESS}), None, Right.LEADER),
        Transition(Action.DENY_EXTENSION, frozenset({S.IN_PROGRESS}), None, Right.LEADER, needs_reason=True),
        Transition(Action.RESOLVE, frozenset({S.IN_PROGRESS}), S.RESOLVED, Right.HANDLER),
        Transition(Action.SCHEDULE_FOLLOW_UP, frozenset({S.RESOLVED}), S.FOLLOW_UP, Right.FOLLOW_UP),
        Transition(Action.CLOSE, frozenset({S.FOLLOW_UP}), S.CLOSED, Right.FOLLOW_UP),
        Transition(
            Action.REOPEN,
            frozenset({S.RESOLVED, S.FOLLOW_UP, S.CLOSED}),
            S.REOPENED,
            Right.LEADER,
            needs_reason=True,
        ),
        Transition(
            Action.REOPEN_DISSATISFIED,
            frozenset({S.FOLLOW_UP}),
            S.REOPENED,
            Right.FOLLOW_UP,
            needs_reason=True,
        ),
    ]
}

TERMINAL = frozenset({S.REJECTED, S.REDIRECTED})
OPEN = frozenset({S.REGISTERED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.REOPENED})


def transition_for(action: str) -> Transition | None:
    return TRANSITIONS.get(str(action))


def allowed_actions(status: str) -> list[str]:
    return [action for action, t in TRANSITIONS.items() if status in t.sources]
