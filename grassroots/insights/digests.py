"""The daily / weekly digest for one leader: the period's figures, what is overdue and the open warnings,
as a page and as e-mail-ready HTML (inline styles, absolute links).

``digest_write`` stores each leader's digest once per period (the period ending yesterday) and e-mails it at
most once, so the scheduled command can be re-run (by cron, or by hand after a failure) without sending
anything twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.common.scoping import Actor, as_actor

from . import danger, selectors
from .figures import Filters
from .models import Digest, EarlyWarning, WarningKind, WarningStatus

PERIODS = {"daily": 1, "weekly": 7}


def warning_reason(warning: EarlyWarning) -> str:
    """Why the warning was raised, in the reader's language, from its recorded facts."""
    f = warning.facts or {}
    place = warning.region.name if warning.region_id else ""
    category = warning.category.name if warning.category_id else ""
    if warning.kind == WarningKind.RISE:
        return _(
            "%(category)s in %(place)s: %(observed)s requests in the week to %(to)s where %(expected)s were "
            "expected for the season (95%% upper bound %(upper)s; p = %(p).2g, adjusted q = %(q).2g over %(n)s series)."
        ) % {
            "category": category,
            "place": place,
            "observed": f.get("observed"),
            "to": f.get("week_to"),
            "expected": f.get("expected"),
            "upper": f.get("upper"),
            "p": f.get("p_value", 1.0),
            "q": f.get("q_value", 1.0),
            "n": f.get("tested_series"),
        }
    if warning.kind in (WarningKind.REPEAT_REPORTER, WarningKind.REPEAT_PLACE):
        basis = {
            "household": _("one household"),
            "phone": _("one phone number"),
            "address": _("one address"),
            "point": _("one spot (within about 100 m)"),
            "place": _("one address"),
        }
        return _("%(count)s requests from or about %(basis)s within %(days)s days.") % {
            "count": f.get("count"),
            "basis": basis.get(f.get("by"), f.get("by")),
            "days": f.get("days"),
        }
    if warning.kind == WarningKind.GROUP:
        if f.get("by") == "text":
            return _("The request speaks of many people acting together: %(phrases)s.") % {
                "phrases": "、".join(f.get("phrases", []))
            }
        if f.get("by") == "parties":
            return _("%(count)s parties on one open matter.") % {"count": f.get("count")}
        return _("%(count)s requests linked to one open matter.") % {"count": f.get("count")}
    if warning.kind == WarningKind.DEADLINE:
        return _("Red-risk matter due in %(hours)s hours.") % {"hours": f.get("hours_left")}
    if warning.kind == WarningKind.DANGER:
        signals = ", ".join(danger.signal_label(s) for s in f.get("signals", []))
        text = _("The request's text signals danger (%(signals)s): %(phrases)s.") % {
            "signals": signals,
            "phrases": "、".join(f.get("phrases", [])),
        }
        if f.get("before_holiday") and "wage_arrears" in f.get("signals", []):
            text += " " + _("Wage arrears in the weeks before the Spring Festival.")
        return text
    return warning.get_kind_display()


def build(*, actor: Actor | Any, period: str = "daily", now: datetime | None = None) -> dict[str, Any]:
    """The digest's content for one reader (scoped as the reader)."""
    actor = selectors.require_insights(as_actor(actor))
    now = now or timezone.now()
    days = PERIODS[period]
    end = timezone.localtime(now).date() - timedelta(days=1)
    filters = Filters(start=end - timedelta(days=days - 1), end=end)
    data = selectors.dashboard(actor=actor, filters=filters, now=now)
    since = now - timedelta(days=days)
    warnings = list(selectors.warning_list(actor=actor).filter(status=WarningStatus.OPEN)[:20])
    new_warnings = selectors.warning_list(actor=actor).filter(detected_at__gte=since).count()
    return {
        "period": period,
        "filters": filters,
        "counts": data["counts"],
        "rates": data["rates"],
        "categories": data["breakdowns"]["category_group"][:5],
        "villages": data["heat"][:5],
        "warnings": [{"warning": w, "reason": warning_reason(w)} for w in warnings],
        "new_warnings": new_warnings,
        "generated_at": now,
    }


def render_email(*, actor: Actor | Any, period: str, base_url: str, now: datetime | None = None) -> str:
    content = build(actor=actor, period=period, now=now)
    return render_to_string(
        "insights/digest_email.html", {"digest": content, "base_url": base_url.rstrip("/")}
    )


def period_end(now: datetime) -> Any:
    return timezone.localtime(now).date() - timedelta(days=1)


def digest_write(
    *, user: Any, period: str, now: datetime | None = None, base_url: str = "", mail: bool = False
) -> tuple[Digest, bool, bool]:
    """Write (once) and optionally e-mail (once) one leader's digest: ``(digest, written, mailed)``. A digest
    already written for the same reader, period and end date is kept as it was."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils.translation import override

    from grassroots.common.audit import audit_record
    from grassroots.common.scoping import actor_for

    now = now or timezone.now()
    end = period_end(now)
    with transaction.atomic():
        digest = Digest.objects.select_for_update().filter(user=user, period=period, period_end=end).first()
        written = digest is None
        if written:
            with override(settings.LANGUAGE_CODE):
                html = render_email(actor=actor_for(user), period=period, base_url=base_url, now=now)
            digest = Digest.objects.create(
                user=user,
                period=period,
                period_end=end,
                language=settings.LANGUAGE_CODE,
                html=html,
                created_at=now,
            )
            audit_record(
                actor=None, action="insights.digest", obj=digest, data={"period": period, "end": str(end)}
            )
        mailed = False
        if mail and user.email and digest.mailed_at is None:
            with override(digest.language):
                subject = _("Grassroots digest") + f" · {end.isoformat()}"
            send_mail(subject, "", None, [user.email], html_message=digest.html)
            digest.mailed_at = timezone.now()
            digest.save(update_fields=["mailed_at"])
            mailed = True
    return digest, written, mailed
