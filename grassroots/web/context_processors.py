from typing import Any

from django.http import HttpRequest

from grassroots.common.models import Role
from grassroots.common.scoping import actor_for

from . import access


def actor(request: HttpRequest) -> dict[str, Any]:
    """The actor, their role's label and the pages their navigation offers."""
    current = actor_for(getattr(request, "user", None))
    labels = dict(Role.choices)
    return {
        "actor": current,
        "actor_role_label": labels.get(current.role, ""),
        "nav": {
            "households": access.may_list_households(current),
            "officers": access.may_list_officers(current),
            "admin": current.is_admin,
        },
    }
