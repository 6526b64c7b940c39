"""The GeoReport v2 endpoints with the mySociety two-way extension: plain Django views, the format chosen
by the ``.xml`` / ``.json`` suffix, errors as the spec's list (400 / 403 / 404, several at once)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from grassroots.casework import throttle
from grassroots.common.errors import Conflict, DomainError, FieldError, Forbidden, NotFound

from . import params, selectors, services
from .models import ApiKey, ServiceType
from .render import FORMATS, ITEM_TAGS, errors_response, respond

WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_SERVICE_CODES = 100
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


class Open311Error(Exception):
    """An answer in the spec's error list. ``status`` is the HTTP status: 404 for what does not exist, 403
    for a missing or wrong api_key, 400 for anything else; each error's body code may be more specific
    (405 wrong method, 409 conflict, 413 too large, 429 too many requests), as the spec allows."""

    def __init__(self, status: int, *errors: str | tuple[int, str], headers: dict[str, str] | None = None):
        super().__init__(errors)
        self.status = status
        self.errors = [e if isinstance(e, tuple) else (status, e) for e in errors]
        self.headers = headers or {}


def _field_errors(errors: list[FieldError], status: int = 400) -> Open311Error:
    return Open311Error(status, *[f"{e.field}: {e.message}" for e in errors])


def _from_domain(error: DomainError) -> Open311Error:
    if isinstance(error, Forbidden):
        # The key is valid but the casework rules refuse its owner this step: HTTP 403 is the api_key's
        # status in the spec, so this is a 400 whose body code says 403.
        return Open311Error(400, (403, str(error.message)))
    if isinstance(error, NotFound):
        return Open311Error(404, str(error.message))
    if error.errors:
        return _field_errors(error.errors)
    code = 409 if isinstance(error, Conflict) or error.http_status == 409 else 400
    return Open311Error(400, (code, str(error.message)))


def _params(request: HttpRequest) -> QueryDict:
    """Query string and form body together (clients put api_key and jurisdiction_id in either). A NUL
    character is refused here, for every parameter: it is not text, and PostgreSQL cannot store it."""
    limit = int(getattr(settings, "OPEN311_MAX_POST_BYTES", 65536))
    if request.method == "POST":
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isascii() or not length.isdigit() or int(length) > limit:
            raise Open311Error(400, (413, f"the request body is larger than {limit} bytes"))
    try:
        merged = request.GET.copy()
        for key in request.POST:
            merged.setlist(key, request.POST.getlist(key))
    except SuspiciousOperation as error:  # too many fields, or a body Django refuses to read
        raise Open311Error(400, (413, f"the request body was refused: {error}")) from None
    bad = sorted({key for key in merged if "\x00" in key or any("\x00" in v for v in merged.getlist(key))})
    if bad:
        raise Open311Error(
            400, *[f"{key.replace(chr(0), '?')}: may not contain a NUL character" for key in bad]
        )
    return merged


def _check_jurisdiction(data: QueryDict) -> None:
    configured = getattr(settings, "OPEN311_JURISDICTION_ID", "") or ""
    given = (data.get("jurisdiction_id") or "").strip()
    if not configured:
        return
    if not given:
        if getattr(settings, "OPEN311_REQUIRE_JURISDICTION", False):
            raise Open311Error(400, "jurisdiction_id was not provided")
        return
    if given != configured:
        raise Open311Error(404, f"jurisdiction_id {given!r} not found")


def _error_response(fmt: str, error: Open311Error) -> HttpResponse:
    response = errors_response(fmt, error.status, error.errors)
    for name, value in error.headers.items():
        response[name] = value
    return response


def endpoint(*methods: str) -> Callable:
    """Format, method and jurisdiction checks, and every error rendered as the spec's list."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            fmt = fmt.lower()
            shown = fmt if fmt in FORMATS else "xml"
            try:
                if fmt not in FORMATS:
                    raise Open311Error(400, f"format {fmt!r} is not served: use .xml or .json")
                if request.method not in methods:
                    raise Open311Error(
                        400,
                        (405, f"{request.method} is not allowed here: use {' or '.join(methods)}"),
                        headers={"Allow": ", ".join(methods)},
                    )
                data = _params(request)
                _check_jurisdiction(data)
                if any(_CONTROL.search(value) for value in kwargs.values()):
                    raise Open311Error(404, "no such resource: the address holds a control character")
                return view(request, data, shown, *args, **kwargs)
            except Open311Error as error:
                return _error_response(shown, error)
            except DomainError as error:
                return _error_response(shown, _from_domain(error))

        return wrapper

    return decorate


def _key(data: QueryDict, doing: str) -> ApiKey:
    plain = (data.get("api_key") or "").strip()
    if not plain:
        raise Open311Error(403, f"api_key is missing -- can't proceed with {doing}")
    key = services.api_key_authenticate(plain)
    if key is None:
        raise Open311Error(403, f"Invalid api_key received -- can't proceed with {doing}")
    return key


def _throttle(request: HttpRequest, key_hint: str) -> None:
    """POSTs per client address and key prefix; over the limit: 400 with body code 429 and Retry-After."""
    limit, window = getattr(settings, "OPEN311_POST_LIMIT", (60, 60))
    parts = key_hint.split("_")
    prefix = parts[1] if len(parts) >= 3 and parts[1].isalnum() and len(parts[1]) <= 16 else "-"
    if not throttle.hit(request, scope=f"open311-post:{prefix}", limit=limit, window_seconds=window):
        retry = int(window - time.time() % window) + 1
        raise Open311Error(
            400,
            (429, f"too many requests: at most {limit} in {window} seconds; retry in {retry} s"),
            headers={"Retry-After": str(retry)},
        )


def _csv(data: QueryDict, name: str) -> list[str]:
    return [v.strip() for raw in data.getlist(name) for v in raw.split(",") if v.strip()]


_WHOLE = re.compile(r"[0-9]{1,9}")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _page(data: QueryDict, errors: list[FieldError]) -> tuple[int, int]:
    """The paging extension: ``page`` (from 1) and ``page_size`` (1..1000, default 1000)."""
    numbers = []
    for name, default, top in (("page", 1, 10**6), ("page_size", MAX_RESULTS, MAX_RESULTS)):
        raw = (data.get(name) or "").strip()
        value = int(raw) if _WHOLE.fullmatch(raw) else (default if not raw else -1)
        if not 1 <= value <= top:
            errors.append(FieldError(name, f"must be a whole number from 1 to {top}"))
            value = default
        numbers.append(value)
    return numbers[0], numbers[1]


def _window(data: QueryDict, errors: list[FieldError], *, limit_span: bool) -> tuple[datetime, datetime]:
    """start_date / end_date; without them the most recent 90 days; a span may not exceed 90 days."""
    start = params.w3_datetime("start_date", data.get("start_date", ""), errors)
    end = params.w3_datetime("end_date", data.get("end_date", ""), errors)
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - WINDOW
    if end is None:
        end = max(start, min(start + WINDOW, timezone.now())) if limit_span else max(start, timezone.now())
    if end < start:
        errors.append(FieldError("end_date", "is before start_date"))
    elif limit_span and end - start > WINDOW:
        errors.append(FieldError("end_date", "the range may not span more than 90 days"))
    return start, end


@endpoint("GET")
def discovery(request: HttpRequest, data: QueryDict, fmt: str) -> HttpResponse:
    changeset = getattr(settings, "OPEN311_CHANGESET", "2025-01-01T00:00:00Z")
    url = request.build_absolute_uri(reverse("open311:root"))
    body = {
        "changeset": changeset,
        "contact": getattr(settings, "OPEN311_CONTACT", ""),
        "key_service": getattr(settings, "OPEN311_KEY_SERVICE", "API keys are issued by the administrator"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url.rstrip("/"),
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", body, ITEM_TAGS)


@endpoint("GET")
def service_list(request: HttpRequest, data: QueryDict, fmt: str) -> HttpResponse:
    body = [selectors.service_dict(s) for s in selectors.service_list()]
    return respond(fmt, "services", body, ITEM_TAGS)


@endpoint("GET")
def service_definition(request: HttpRequest, data: QueryDict, fmt: str, code: str) -> HttpResponse:
    service = selectors.service_get(code)
    if service is None:
        raise Open311Error(404, f"service_code {code!r} not found")
    return respond(fmt, "service_definition", selectors.definition_dict(service), ITEM_TAGS)


@endpoint("GET", "POST")
def requests_view(request: HttpRequest, data: QueryDict, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, data, fmt)
    ids = _csv(data, "service_request_id")
    if ids:  # "This overrides all other arguments": no other filter, window or paging applies.
        rows = list(selectors.request_filter(ids=ids[:MAX_RESULTS]))
        return respond(fmt, "service_requests", selectors.request_dicts(rows), ITEM_TAGS)
    errors: list[FieldError] = []
    page, size = _page(data, errors)
    wanted = [s.lower() for s in _csv(data, "status")]
    if any(s not in ("open", "closed") for s in wanted):
        errors.append(FieldError("status", "must be open, closed or both (comma separated)"))
    codes = _csv(data, "service_code")
    if len(codes) > MAX_SERVICE_CODES:
        errors.append(FieldError("service_code", f"at most {MAX_SERVICE_CODES} codes at once"))
    start, end = _window(data, errors, limit_span=True)
    if errors:
        raise _field_errors(errors)
    qs = selectors.request_filter(service_codes=codes, status=wanted, start=start, end=end)
    offset = (page - 1) * size
    rows = list(qs[offset : offset + size])
    return respond(fmt, "service_requests", selectors.request_dicts(rows), ITEM_TAGS)


def _create(request: HttpRequest, data: QueryDict, fmt: str) -> HttpResponse:
    _throttle(request, data.get("api_key") or "")
    key = _key(data, "create_request")
    errors: list[FieldError] = []
    code = (data.get("service_code") or "").strip()
    service = selectors.service_get(code) if code else None
    if not code:
        errors.append(FieldError("service_code", "was not provided"))
    lat = params.coordinate("lat", data.get("lat", ""), 90, errors)
    lon = params.coordinate("long", data.get("long", ""), 180, errors)
    address = params.plain_text("address_string", data.get("address_string", ""), 255, errors, one_line=True)
    address_id = params.short_code("address_id", data.get("address_id", ""), 64, errors)
    if (lat is None) != (lon is None):
        errors.append(FieldError("lat/long", "both lat and long are needed"))
    if lat is None and not address and not address_id:
        errors.append(FieldError("location", "send lat & long, address_string or address_id"))
    description = params.plain_text(
        "description", data.get("description", ""), params.MAX_DESCRIPTION, errors
    )
    media = params.media_url(data.get("media_url", ""), errors)
    person = {
        name: params.plain_text(name, data.get(name, ""), limit, errors, one_line=True)
        for name, limit in (("first_name", 50), ("last_name", 50), ("phone", 30))
    }
    person["email"] = params.email(data.get("email", ""), errors)
    extra = {
        name: params.short_code(name, data.get(name, ""), limit, errors)
        for name, limit in (("zipcode", 16), ("device_id", 100), ("account_id", 100))
    }
    attributes = {}
    if service is not None:
        attributes = params.attribute_values(
            list(service.attributes.all()), params.raw_attributes(data), errors
        )
    if code and service is None:
        raise Open311Error(
            404, f"service_code {code!r} not found", *[f"{e.field}: {e.message}" for e in errors]
        )
    if errors:
        raise _field_errors(errors)
    client_id = (request.headers.get("Idempotency-Key") or data.get("client_request_id") or "").strip()[:200]
    submission, _created = services.open311_request_create(
        key=key,
        data=services.SubmissionInput(
            service=service,
            description=description,
            latitude=lat,
            longitude=lon,
            address=address,
            address_id=address_id,
            media_url=media,
            attributes=attributes,
            client_id=client_id,
            **extra,
            **person,
        ),
    )
    # Realtime: the id; batch: a token to look the id up with; blackbox: neither.
    item: dict[str, Any] = {}
    if service.type == ServiceType.BATCH:
        item["token"] = submission.token
    elif service.type == ServiceType.REALTIME:
        item["service_request_id"] = submission.request.tracking_code
    item["service_notice"] = selectors.notice(service, submission.request) or None
    item["account_id"] = submission.account_id or None
    return respond(fmt, "service_requests", [item], ITEM_TAGS)


@endpoint("GET")
def request_detail(request: HttpRequest, data: QueryDict, fmt: str, code: str) -> HttpResponse:
    found = selectors.request_by_code(code)
    if found is None:
        raise Open311Error(404, f"service_request_id {code!r} not found")
    return respond(fmt, "service_requests", selectors.request_dicts([found]), ITEM_TAGS)


@endpoint("GET")
def token_detail(request: HttpRequest, data: QueryDict, fmt: str, token: str) -> HttpResponse:
    submission = selectors.submission_by_token(token)
    if submission is None:
        raise Open311Error(404, f"token {token!r} not found")
    body = [{"service_request_id": submission.request.tracking_code, "token": submission.token}]
    return respond(fmt, "service_requests", body, ITEM_TAGS)


@endpoint("GET", "POST")
def updates_view(request: HttpRequest, data: QueryDict, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_update(request, data, fmt)
    errors: list[FieldError] = []
    page, size = _page(data, errors)
    start, end = _window(data, errors, limit_span=False)
    ids = _csv(data, "service_request_id")
    if len(ids) > MAX_RESULTS:
        errors.append(FieldError("service_request_id", f"at most {MAX_RESULTS} ids at once"))
    if errors:
        raise _field_errors(errors)
    rows = selectors.update_list(start=start, end=end, ids=ids or None, offset=(page - 1) * size, limit=size)
    return respond(fmt, "service_request_updates", rows, ITEM_TAGS)


def _post_update(request: HttpRequest, data: QueryDict, fmt: str) -> HttpResponse:
    _throttle(request, data.get("api_key") or "")
    key = _key(data, "post_service_request_update")
    errors: list[FieldError] = []
    code = (data.get("service_request_id") or "").strip()
    status = (data.get("status") or "").strip().upper()
    if not code:
        errors.append(FieldError("service_request_id", "was not provided"))
    if not status:
        errors.append(FieldError("status", "was not provided"))
    description = params.plain_text(
        "description", data.get("description", ""), params.MAX_DESCRIPTION, errors
    )
    media = params.media_url(data.get("media_url", ""), errors)
    client_update_id = params.short_code("update_id", data.get("update_id", ""), 64, errors)
    target = selectors.request_by_code(code) if code else None
    if code and target is None:
        raise Open311Error(404, f"service_request_id {code!r} not found")
    if errors:
        raise _field_errors(errors)
    update, _created = services.open311_update_post(
        key=key,
        request=target,
        status=status,
        description=description,
        media_url=media,
        client_update_id=client_update_id,
    )
    body = [{"update_id": selectors.posted_update_id(update)}]
    return respond(fmt, "service_request_updates", body, ITEM_TAGS)


def root(request: HttpRequest) -> HttpResponse:
    """The endpoint's base address: points at the discovery document."""
    body = {"discovery": request.build_absolute_uri(reverse("open311:discovery", args=["json"]))}
    return respond("json", "root", body, ITEM_TAGS)


@csrf_exempt
def not_found(request: HttpRequest, path: str) -> HttpResponse:
    """Any other address under the endpoint: 404 in the spec's error list, JSON for a .json suffix."""
    fmt = "json" if path.lower().endswith(".json") else "xml"
    return errors_response(fmt, 404, [(404, f"no Open311 resource at {path[:200]!r}")])
