"""Public pages (no login): submit a request through the web, track it by its code, leave feedback.

Against abuse: CSRF on every form, a per-address rate limit (``throttle``), a honeypot field and a minimum
time between showing the form and submitting it. A confidential matter (neighbours' disputes) shows only
its kind, status and dates: never names, address or description.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from grassroots.common.errors import Conflict, DomainError, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import ANONYMOUS, actor_for
from grassroots.territory.models import Region, RegionLevel, Resident

from . import selectors, services, throttle
from .forms import PublicFeedbackForm, PublicSubmitForm, TrackForm, new_client_token
from .models import Channel, Request
from .public import AWAITING_FEEDBACK, public_feedback_record
from .views import form_errors_from, refusal_message
from .workflow import OPEN

_STARTED_SALT = "casework.public-submit.started"


def _limit(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """(attempts, window in seconds) from settings, e.g. PUBLIC_SUBMIT_LIMIT = (5, 3600)."""
    return tuple(getattr(settings, name, default))  # type: ignore[return-value]


def _throttled(request: HttpRequest, window_seconds: int) -> HttpResponse:
    response = render(request, "casework/public/throttled.html", status=429)
    response["Retry-After"] = str(throttle.seconds_left(window_seconds))
    return response


def sign_started(at: float | None = None) -> str:
    return signing.Signer(salt=_STARTED_SALT).sign(f"{at if at is not None else time.time():.0f}")


def _seconds_since_started(value: str) -> float | None:
    try:
        return time.time() - float(signing.Signer(salt=_STARTED_SALT).unsign(value))
    except (signing.BadSignature, ValueError):
        return None


def _public_regions() -> list[Region]:
    return list(
        Region.objects.filter(level__gte=RegionLevel.COUNTY)
        .only("id", "name", "level", "path", "parent_id")
        .order_by("path")
    )


@never_cache
@require_http_methods(["GET", "POST"])
def public_submit(request: HttpRequest) -> HttpResponse:
    regions = _public_regions()
    if request.method == "GET":
        form = PublicSubmitForm(
            initial={"started": sign_started(), "client_token": new_client_token()}, regions=regions
        )
        return render(request, "casework/public/submit.html", {"form": form})
    attempts, window = _limit("PUBLIC_SUBMIT_LIMIT", (5, 3600))
    if not throttle.hit(request, scope="public-submit", limit=attempts, window_seconds=window):
        return _throttled(request, window)
    form = PublicSubmitForm(request.POST, regions=regions)
    if form.is_valid():
        saved = _public_save(request, form)
        if saved is not None:
            return redirect(f"{saved}?new=1")
    return render(request, "casework/public/submit.html", {"form": form}, status=400)


def _public_save(request: HttpRequest, form: PublicSubmitForm) -> str | None:
    """Register the request and answer with its tracking page's address, or None (form errors added)."""
    data = form.cleaned_data
    elapsed = _seconds_since_started(data["started"])
    min_seconds = getattr(settings, "PUBLIC_SUBMIT_MIN_SECONDS", 3)
    if data["website"] or elapsed is None or elapsed > 6 * 3600:
        form.add_error(None, _("This form could not be accepted. Please reload the page and try again."))
        return None
    if elapsed < min_seconds:
        form.data = form.data.copy()
        form.data["started"] = sign_started(time.time() - elapsed)
        form.add_error(None, _("That was very fast. Please check your report and submit it again."))
        return None
    actor = actor_for(request.user)
    resident = None
    if actor.role == Role.RESIDENT and actor.resident_id:
        resident = Resident.objects.filter(pk=actor.resident_id).first()
    else:
        actor = ANONYMOUS  # staff trying the public form file as the public does
    try:
        saved, _created = services.request_intake(
            actor=actor,
            data=services.IntakeInput(
                channel=Channel.WEB,
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                region=data["region"],
                address=data["address"],
                reporter_resident=resident if not data["is_anonymous"] else None,
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"].strip(),
                is_anonymous=data["is_anonymous"],
                client_token=data["client_token"],
            ),
        )
    except Conflict:
        form.data = form.data.copy()
        form.data["client_token"] = new_client_token()
        form.add_error(
            None, _("This form was already sent with other content. Submit again to send it as new.")
        )
        return None
    except ValidationFailed as exc:
        form_errors_from(form, exc)
        return None
    except DomainError as exc:
        form.add_error(None, refusal_message(exc))
        return None
    return reverse("public:track", args=[saved.tracking_code])


@require_http_methods(["GET"])
def public_track_lookup(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_valid():
        return redirect("public:track", code=form.cleaned_data["code"].strip().upper())
    return render(request, "casework/public/track_lookup.html", {"form": form})


def _tracked(code: str) -> Request | None:
    return (
        Request.objects.filter(tracking_code=code.strip().upper())
        .select_related("matter", "matter__category", "region", "category")
        .first()
    )


@never_cache
@require_http_methods(["GET"])
def public_track(request: HttpRequest, code: str) -> HttpResponse:
    item = _tracked(code)
    if item is None:
        # Only misses count: guessing codes is what the limit stops.
        attempts, window = _limit("PUBLIC_TRACK_MISS_LIMIT", (20, 600))
        if not throttle.hit(request, scope="public-track-miss", limit=attempts, window_seconds=window):
            return _throttled(request, window)
        return render(
            request,
            "casework/public/track_lookup.html",
            {"form": TrackForm(initial={"code": code}), "not_found": True},
            status=404,
        )
    return render(request, "casework/public/track.html", _track_context(request, item))


def _track_context(
    request: HttpRequest, item: Request, feedback_form: PublicFeedbackForm | None = None
) -> dict:
    # A report linked into an earlier one follows that matter's handling.
    handled = item.matter or item
    given = request.session.get("public_feedback", [])
    typical = (
        selectors.typical_resolution(
            kind=handled.kind, category=handled.category, county_id=handled.county_id
        )
        if handled.status in OPEN
        else None
    )
    return {
        "typical": typical,
        "item": item,
        "handled": handled,
        "redacted": item.is_confidential or handled.is_confidential,
        "is_open": handled.status in OPEN,
        "new": request.GET.get("new") == "1",
        "may_give_feedback": handled.status in AWAITING_FEEDBACK and handled.pk not in given,
        "feedback_given": handled.pk in given,
        "feedback_form": feedback_form or PublicFeedbackForm(),
    }


@require_POST
def public_feedback(request: HttpRequest, code: str) -> HttpResponse:
    item = _tracked(code)
    attempts, window = _limit("PUBLIC_FEEDBACK_LIMIT", (10, 3600))
    if not throttle.hit(request, scope="public-feedback", limit=attempts, window_seconds=window):
        return _throttled(request, window)
    if item is None:
        return render(
            request,
            "casework/public/track_lookup.html",
            {"form": TrackForm(initial={"code": code}), "not_found": True},
            status=404,
        )
    handled = item.matter or item
    form = PublicFeedbackForm(request.POST)
    given = request.session.get("public_feedback", [])
    if handled.pk in given:
        return redirect("public:track", code=item.tracking_code)
    if form.is_valid():
        try:
            public_feedback_record(
                request=handled,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            messages.error(request, refusal_message(exc))
        else:
            request.session["public_feedback"] = [*given, handled.pk][-50:]
            messages.success(
                request,
                _(
                    "Thank you. Your feedback is passed to the office that will call you back about this matter."
                ),
            )
        return redirect("public:track", code=item.tracking_code)
    return render(request, "casework/public/track.html", _track_context(request, item, form), status=400)
