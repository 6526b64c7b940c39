from typing import Any

from django.http import HttpRequest

from grassroots.common.scoping import actor_for


def actor(request: HttpRequest) -> dict[str, Any]:
    return {"actor": actor_for(getattr(request, "user", None))}
