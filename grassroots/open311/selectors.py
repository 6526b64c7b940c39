"""Open311 reads. What Open311 shows is public: the requests in published categories (and those posted
through Open311), with a confidential matter reduced to its redacted public summary: no address,
coordinates, description, reporter or media."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.casework.models import Request, RequestEvent, RequestUnit, UnitRole

from . import statuses
from .models import Attribute, PostedUpdate, Service, Submission
from .render import w3

MAX_DESCRIPTION = 4000


def service_list() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).select_related("category").order_by("order", "service_code")


def service_get(code: str) -> Service | None:
    return service_list().filter(service_code=code).first()


def service_dict(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.service_code,
        "service_name": service.display_name,
        "description": service.description or None,
        "metadata": service.metadata,
        "type": service.type,
        "keywords": service.keywords or None,
        "group": service.group or None,
    }


_DATATYPE_HELP = {
    "string": gettext_lazy("A single line of text"),
    "number": gettext_lazy("A number"),
    "datetime": gettext_lazy("A date and time in ISO 8601, e.g. 2024-05-01T09:30:00+08:00"),
    "text": gettext_lazy("Text; line breaks allowed"),
    "singlevaluelist": gettext_lazy("One key from values"),
    "multivaluelist": gettext_lazy("One or more keys from values, as attribute[code][]"),
}


def definition_dict(service: Service) -> dict[str, Any]:
    attributes = []
    for position, attribute in enumerate(
        Attribute.objects.filter(service=service).order_by("order", "code"), start=1
    ):
        item: dict[str, Any] = {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description or str(_DATATYPE_HELP[attribute.datatype]),
            "order": attribute.order or position,
            "description": attribute.description,
        }
        if attribute.datatype in ("singlevaluelist", "multivaluelist"):
            item["values"] = [
                {"key": str(v.get("key")), "name": str(v.get("name", v.get("key")))}
                for v in attribute.values or []
                if isinstance(v, dict)
            ]
        attributes.append(item)
    return {"service_code": service.service_code, "attributes": attributes}


def published_requests() -> QuerySet[Request]:
    """Requests Open311 shows: in a published service's category, or posted through Open311."""
    categories = Service.objects.filter(is_active=True).values("category_id")
    return Request.objects.filter(
        Q(category_id__in=categories) | Q(id__in=Submission.objects.values("request_id"))
    )


def request_filter(
    *,
    ids: list[str] | None = None,
    service_codes: list[str] | None = None,
    status: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Request]:
    """GET requests: a list of ids overrides every other filter; otherwise services, statuses and the
    window on requested_datetime. Newest first."""
    qs = published_requests().select_related("category")
    if ids:
        return qs.filter(tracking_code__in=ids).order_by("-created_at", "-id")
    if service_codes:
        services = Service.objects.filter(service_code__in=service_codes)
        qs = qs.filter(
            Q(open311__service__in=services)
            | Q(open311__isnull=True, category_id__in=services.filter(is_active=True).values("category_id"))
        )
    if status and set(status) != {"open", "closed"}:
        open_q = Q(status__in=list(statuses.OPEN))
        qs = qs.filter(open_q if "open" in status else ~open_q)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lte=end)
    return qs.order_by("-created_at", "-id")


def _services_by_category() -> dict[int, Service]:
    found: dict[int, Service] = {}
    for service in service_list():
        found.setdefault(service.category_id, service)
    return found


def _last_events(request_ids: list[int]) -> dict[int, RequestEvent]:
    last: dict[int, RequestEvent] = {}
    changes = RequestEvent.objects.filter(request_id__in=request_ids).exclude(from_status=F("to_status"))
    for event in changes.order_by("request_id", "at", "id"):
        last[event.request_id] = event
    return last


def _lead_units(request_ids: list[int]) -> dict[int, str]:
    return dict(
        RequestUnit.objects.filter(
            request_id__in=request_ids, role=UnitRole.LEAD, is_active=True
        ).values_list("request_id", "unit__name")
    )


def notice(service: Service | None, request: Request) -> str:
    """The service's own notice, or while the request is open the deadline it is on."""
    if service is not None and service.notice:
        return service.notice
    if request.due_at and request.status in statuses.OPEN:
        return _("We aim to have this handled by %(due)s.") % {
            "due": timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M")
        }
    return ""


def request_dicts(requests: Iterable[Request]) -> list[dict[str, Any]]:
    """The GeoReport request records, with three queries for any number of requests."""
    requests = list(requests)
    ids = [r.id for r in requests]
    submissions = {
        s.request_id: s
        for s in Submission.objects.filter(request_id__in=ids).select_related("service__category")
    }
    by_category = _services_by_category()
    last = _last_events(ids)
    leads = _lead_units(ids)
    result = []
    for request in requests:
        submission = submissions.get(request.id)
        service = submission.service if submission else by_category.get(request.category_id)
        result.append(
            _request_dict(request, service, submission, last.get(request.id), leads.get(request.id))
        )
    return result


def _updated_at(request: Request, event: RequestEvent | None) -> datetime:
    """Last modified; for a closed request the spec asks for the time it was closed: its last status change."""
    if event is not None and statuses.public_status(request.status) == "closed":
        return event.at
    return request.updated_at


def _status_notes(request: Request, event: RequestEvent | None) -> str:
    extended = statuses.current_status(request.status, request.outcome)
    note = str(statuses.STATUS_LABELS[extended])
    if event is not None and event.reason and not request.is_confidential:
        note = _("%(status)s: %(reason)s") % {"status": note, "reason": event.reason}
    return note


def _request_dict(
    request: Request,
    service: Service | None,
    submission: Submission | None,
    event: RequestEvent | None,
    lead: str | None,
) -> dict[str, Any]:
    secret = request.is_confidential
    description = (request.public_summary or None) if secret else request.description[:MAX_DESCRIPTION]
    return {
        "service_request_id": request.tracking_code,
        "status": statuses.public_status(request.status),
        "status_notes": _status_notes(request, event),
        "service_name": service.display_name if service else None,
        "service_code": service.service_code if service else "",
        "description": description,
        "agency_responsible": lead,
        "service_notice": notice(service, request) or None,
        "requested_datetime": w3(request.created_at),
        "updated_datetime": w3(_updated_at(request, event)),
        "expected_datetime": w3(request.due_at),
        "address": None if secret else (request.address or None),
        "address_id": None if secret or not submission else (submission.address_id or None),
        "zipcode": None if secret or not submission else (submission.zipcode or None),
        "lat": None if secret or request.latitude is None else float(request.latitude),
        "long": None if secret or request.longitude is None else float(request.longitude),
        "media_url": None if secret or not submission else (submission.media_url or None),
    }


def request_by_code(code: str) -> Request | None:
    return published_requests().filter(tracking_code=code).first()


def submission_by_token(token: str) -> Submission | None:
    return Submission.objects.select_related("request").filter(token=token).first()


def update_list(
    *, start: datetime, end: datetime, ids: list[str] | None = None, offset: int = 0, limit: int = 1000
) -> list[dict[str, Any]]:
    """GET servicerequestupdates, oldest first: each casework event a client sees (its stable update_id is
    the event's id) and each comment posted without a status change ("c" and its id). Each source is read
    in order up to ``offset + limit`` rows and the two are merged, so a page costs its depth, never the
    whole window."""
    requests = published_requests()
    if ids:
        requests = requests.filter(tracking_code__in=ids)
    take = offset + limit
    events = list(
        RequestEvent.objects.filter(
            request__in=requests, at__gte=start, at__lte=end, action__in=statuses.LISTED_ACTIONS
        )
        .select_related("request")
        .order_by("at", "id")[:take]
    )
    comments = list(
        PostedUpdate.objects.filter(
            request__in=requests, event__isnull=True, created_at__gte=start, created_at__lte=end
        )
        .select_related("request")
        .order_by("created_at", "id")[:take]
    )
    rows: list[tuple[datetime, int, int, Any]] = [(e.at, 0, e.id, e) for e in events]
    rows += [(c.created_at, 1, c.id, c) for c in comments]
    rows.sort(key=lambda row: row[:3])
    page = rows[offset:take]
    event_ids = [row[2] for row in page if row[1] == 0]
    posted = {p.event_id: p for p in PostedUpdate.objects.filter(event_id__in=event_ids)} if event_ids else {}
    result = []
    for _at, source, _id, item in page:
        if source == 1:
            result.append(
                _update_dict(
                    f"c{item.id}", item.request, item.status, item.created_at, item.description, item
                )
            )
            continue
        post = posted.get(item.id)
        extended = post.status if post else statuses.event_status(item.action, item.data)
        result.append(
            _update_dict(str(item.id), item.request, extended or "OPEN", item.at, item.reason, post)
        )
    return result


def _update_dict(
    update_id: str, request: Request, status: str, at: datetime, text: str, post: PostedUpdate | None
) -> dict[str, Any]:
    secret = request.is_confidential
    description = str(statuses.STATUS_LABELS[status])
    if text and not secret:
        description = text
    return {
        "update_id": update_id,
        "service_request_id": request.tracking_code,
        "status": status,
        "updated_datetime": w3(at),
        "description": description,
        "media_url": None if secret or post is None else (post.media_url or None),
    }


def posted_update_id(update: PostedUpdate) -> str:
    return str(update.event_id) if update.event_id else f"c{update.id}"
