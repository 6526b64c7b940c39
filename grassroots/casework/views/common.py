"""What every casework page shares: who may use the pages, scope look-ups, and how a service's refusal
reads on the page. Reads go through the selectors, every change through the services; nothing here decides
who may do what beyond which pages a role uses at all (403) and which objects are in scope (404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from grassroots.common.errors import Conflict, DomainError, Forbidden, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, actor_for, get_visible_or_404

from ..models import Request

PAGE_SIZE = 50


# Who uses these pages -----------------------------------------------------------------------------------


def staff(request: HttpRequest) -> Actor:
    """Officers, leaders and administrators; HR and residents never use the casework pages (403)."""
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_staff_officer):
        raise PermissionDenied
    return actor


def is_leader(actor: Actor) -> bool:
    return actor.is_admin or actor.role == Role.LEADER


def leader(request: HttpRequest) -> Actor:
    actor = staff(request)
    if not is_leader(actor):
        raise PermissionDenied
    return actor


def request_in_scope(actor: Actor, pk: Any) -> Request:
    return get_visible_or_404(Request.objects.visible_to(actor), pk=pk)


def safe_next(request: HttpRequest, value: str, fallback: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return fallback


def stale(request: HttpRequest, item: Request) -> bool:
    """The page's version against the request's: a form posted from an outdated page does nothing."""
    try:
        shown = int(request.POST.get("version", ""))
    except ValueError:
        shown = None
    if shown != item.version:
        messages.error(request, refusal_message(Conflict()))
        return True
    return False


# How a service's refusal reads on the page ----------------------------------------------------------------


def _field_message(message: str) -> str:
    """The services' field messages (English, as the API gives them) in the page's language."""
    labels = {
        "is required": _("is required"),
        "is not a phone number": _("is not a phone number"),
        "is required unless the request is anonymous": _("is required unless the request is anonymous"),
        "anonymous requests come only through public channels": _(
            "anonymous requests come only through public channels"
        ),
        "a dispute needs identified parties": _("a dispute needs identified parties"),
        "must be a county, township or village": _("must be a county, township or village"),
        "does not belong to this place": _("does not belong to this place"),
        "is outside your county": _("is outside your county"),
        "is not a configured dispute type": _("is not a configured dispute type"),
        "say why the reporter is dissatisfied": _("say why the reporter is dissatisfied"),
        "is only given when the reporter was reached": _("is only given when the reporter was reached"),
        "an agreement needs an applicant and a respondent": _(
            "an agreement needs an applicant and a respondent"
        ),
        "record the mediation session first": _("record the mediation session first"),
        "cannot be in the future": _("cannot be in the future"),
        "at least one mediator": _("at least one mediator"),
        "the court's case number is required": _("the court's case number is required"),
        "is required unless a resident or organisation is chosen": _(
            "is required unless a resident or organisation is chosen"
        ),
    }
    return labels.get(message, message)


def refusal_message(exc: DomainError) -> str:
    if isinstance(exc, Conflict):
        return _(
            "This request was changed by someone else after you opened it, so nothing was done. "
            "The page now shows its current state: check it and try again."
        )
    if isinstance(exc, Forbidden):
        return _("You may not do this: %(reason)s") % {"reason": exc.message}
    if isinstance(exc, ValidationFailed) and exc.errors:
        details = "; ".join(f"{e.field}: {_field_message(e.message)}" for e in exc.errors)
        return _("Not done: %(reason)s") % {"reason": details}
    return _("Not done: %(reason)s") % {"reason": exc.message}


def form_errors_from(form: Any, exc: ValidationFailed) -> None:
    for error in exc.errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, _field_message(error.message))
    if not exc.errors:
        form.add_error(None, exc.message)
