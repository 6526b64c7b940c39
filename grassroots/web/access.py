"""Which pages each role may use.

Whole pages a role may never use answer 403 (a resident opening the household list); single objects
outside the actor's scope answer 404 exactly like missing ones, because the selectors fetch them through
``get_visible_or_404``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from grassroots.common.models import Role
from grassroots.common.scoping import Actor


def may_list_households(actor: Actor) -> bool:
    # The political/HR department works with the workforce only, never with residents' data.
    return actor.role in (Role.ADMIN, Role.OFFICER, Role.LEADER)


def may_list_officers(actor: Actor) -> bool:
    return actor.role in (Role.ADMIN, Role.OFFICER, Role.LEADER, Role.HR)


def may_reveal_personal_data(actor: Actor) -> bool:
    return actor.may_see_personal_data


def may_verify_audit(actor: Actor) -> bool:
    return actor.is_admin


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
