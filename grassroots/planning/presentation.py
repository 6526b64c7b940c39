"""Words for what the engines return: rule families, reasons of moves, checker findings (translatable)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import RotationRule
from .rotation import model as rotation

FAMILY_LABELS = dict(RotationRule.FAMILY_CHOICES)

PARAMETER_LABELS = {
    (rotation.RECRUIT, "periods"): gettext_lazy("first periods at grassroots posts (M)"),
    (rotation.FRONT_LINE, "k"): gettext_lazy("front-line periods at least (k)"),
    (rotation.FRONT_LINE, "window"): gettext_lazy("within any window of (W) periods"),
    (rotation.MIN_STAY, "periods"): gettext_lazy("least periods in a post (S)"),
    (rotation.MAX_TENURE, "periods"): gettext_lazy("most periods in one post (Y)"),
    (rotation.MOVE_CAP, "per_period"): gettext_lazy("most moves per period"),
    (rotation.NO_RETURN, "periods"): gettext_lazy("no return to a post left within (R) periods"),
    (rotation.FAIRNESS, "max_spread"): gettext_lazy("largest spread of front-line periods"),
}


def family_label(family: str) -> str:
    return str(FAMILY_LABELS.get(family, family))


def reason_text(reason: dict[str, Any]) -> str:
    """One reason of a planned move (``rotation/reasons.py``) in words."""
    code = reason.get("code")
    p = reason.get("params") or {}
    if code == "tenure":
        return _("has served %(periods)s periods in the post left (at most %(most)s)") % p
    if code == "recruit":
        return _("a recruit serves the first %(periods)s periods at a grassroots post") % p
    if code == "front_line":
        return _("needs %(k)s front-line period(s) in any %(window)s") % p
    if code == "eligibility":
        return _("not qualified for the post left")
    if code == "fills_post":
        return _("the new post needs at least %(minimum)s") % p
    if code == "makes_room":
        return _("the post left holds at most %(maximum)s") % p
    if code == "wish":
        return _("wishes this post (score %(score)s)") % p
    if code == "fairness":
        return _("evens out front-line service")
    return _("serves the plan as a whole (frees or fills a post for others)")


def reasons_text(reasons: list[dict[str, Any]]) -> str:
    return "; ".join(reason_text(r) for r in reasons or [])
