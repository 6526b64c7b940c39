"""The one call casework makes into insights: after a request is registered, read its text for danger."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def after_intake(request_id: int) -> None:
    """Run after the intake transaction commits (``transaction.on_commit``); a failure here is logged and
    never undoes or fails the registration."""
    from grassroots.casework.models import Request

    from .services import danger_check

    try:
        request = Request.objects.select_related("region", "grid", "category").get(pk=request_id)
        danger_check(request=request)
    except Exception:
        logger.exception("danger check failed for request %s", request_id)
