"""Checking what an Open311 client sends: dates, the description, media URLs, attribute values."""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from grassroots.common.errors import FieldError

from .models import LIST_DATATYPES, Attribute, Datatype

MAX_DESCRIPTION = 4000
MAX_ATTRIBUTE_VALUE = 4000
MAX_ATTRIBUTES = 100
_HTML = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>|&[A-Za-z]+;|&#\d+;")
# Control characters other than tab and line breaks: not text, and XML 1.0 cannot carry them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_url = URLValidator(schemes=["http", "https"])
_email = EmailValidator()
# Dates a client may ask about: wide enough for any archive, narrow enough that a 90-day window around
# them stays a valid date.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def w3_datetime(name: str, value: str, errors: list[FieldError]) -> datetime | None:
    """A W3C datetime (offset expected; a value without one is read in the server's time zone)."""
    value = (value or "").strip()
    if not value:
        return None
    # An unencoded "+08:00" in a query string arrives as " 08:00".
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        day = parse_date(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
        if day is None:
            errors.append(FieldError(name, "is not a W3C datetime such as 2024-05-01T00:00:00Z"))
            return None
        parsed = datetime(day.year, day.month, day.day)
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        errors.append(FieldError(name, f"must be between the years {FIRST_YEAR} and {LAST_YEAR}"))
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def plain_text(name: str, value: str, limit: int, errors: list[FieldError], *, one_line: bool = False) -> str:
    """Free text as the spec allows it: line breaks, but no HTML or code, within ``limit`` characters."""
    value = (value or "").replace("\r\n", "\n").strip()
    if len(value) > limit:
        errors.append(FieldError(name, f"is {len(value)} characters long; at most {limit} are accepted"))
    if _HTML.search(value):
        errors.append(FieldError(name, "may not contain HTML or code"))
    if _CONTROL.search(value):
        errors.append(FieldError(name, "may not contain control characters"))
    if one_line and "\n" in value:
        errors.append(FieldError(name, "must be a single line"))
    return value


def media_url(value: str, errors: list[FieldError], name: str = "media_url") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > 1000:
        errors.append(FieldError(name, "is longer than 1000 characters"))
        return ""
    try:
        _url(value)
    except ValidationError:
        errors.append(FieldError(name, "is not an http(s) URL"))
        return ""
    return value


def short_code(name: str, value: str, limit: int, errors: list[FieldError]) -> str:
    """An identifier the client keeps for its own records (address_id, device_id, …): one line, bounded."""
    value = (value or "").strip()
    if len(value) > limit:
        errors.append(FieldError(name, f"is {len(value)} characters long; at most {limit} are accepted"))
    elif _CONTROL.search(value) or "\n" in value:
        errors.append(FieldError(name, "must be a single line without control characters"))
    return value


def email(value: str, errors: list[FieldError]) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        _email(value)
    except ValidationError:
        errors.append(FieldError("email", "is not an email address"))
    return value


def coordinate(name: str, value: str, bound: int, errors: list[FieldError]) -> Decimal | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.append(FieldError(name, "is not a number"))
        return None
    if not number.is_finite() or abs(number) > bound:
        errors.append(FieldError(name, f"must be between -{bound} and {bound} (WGS84 degrees)"))
        return None
    return number.quantize(Decimal("0.000001"))


def raw_attributes(data: QueryDict) -> dict[str, list[str]]:
    """``attribute[CODE]=v`` and ``attribute[CODE][]=v1&attribute[CODE][]=v2`` as {CODE: [values]}."""
    found: dict[str, list[str]] = {}
    for key in data:
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            found.setdefault(match.group(1), []).extend(data.getlist(key))
    return found


def _one(attribute: Attribute, value: str, errors: list[FieldError]) -> Any:
    name = f"attribute[{attribute.code}]"
    datatype = attribute.datatype
    if len(value) > MAX_ATTRIBUTE_VALUE:
        errors.append(FieldError(name, f"is longer than {MAX_ATTRIBUTE_VALUE} characters"))
        return None
    if datatype == Datatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            errors.append(FieldError(name, "must be a number"))
            return None
        return int(number) if number.is_integer() and "." not in value else number
    if datatype == Datatype.DATETIME:
        parsed = w3_datetime(name, value, errors)
        return parsed.isoformat() if parsed else None
    if datatype in LIST_DATATYPES:
        keys = [str(v.get("key")) for v in attribute.values or [] if isinstance(v, dict)]
        if value not in keys:
            errors.append(FieldError(name, f"{value!r} is not one of the listed keys ({', '.join(keys)})"))
            return None
        return value
    if datatype == Datatype.STRING:
        return plain_text(name, value, MAX_ATTRIBUTE_VALUE, errors, one_line=True)
    return plain_text(name, value, MAX_ATTRIBUTE_VALUE, errors)


def attribute_values(
    definitions: list[Attribute], given: dict[str, list[str]], errors: list[FieldError]
) -> dict[str, Any]:
    """Check each defined attribute against its datatype; codes the service does not define are ignored
    (clients such as FixMyStreet send their own), informational ones (variable false) too."""
    if len(given) > MAX_ATTRIBUTES:
        errors.append(FieldError("attribute", f"at most {MAX_ATTRIBUTES} attributes are accepted"))
        return {}
    values: dict[str, Any] = {}
    for attribute in definitions:
        if not attribute.variable:
            continue
        name = f"attribute[{attribute.code}]"
        raw = [v.strip() for v in given.get(attribute.code, []) if v.strip()]
        if not raw:
            if attribute.required:
                errors.append(FieldError(name, "is required", code="required"))
            continue
        if attribute.datatype == Datatype.MULTIVALUELIST:
            checked = [_one(attribute, v, errors) for v in dict.fromkeys(raw)]
            values[attribute.code] = [v for v in checked if v is not None]
            continue
        if len(raw) > 1:
            errors.append(FieldError(name, "takes one value"))
            continue
        checked = _one(attribute, raw[0], errors)
        if checked is not None:
            values[attribute.code] = checked
    return values
