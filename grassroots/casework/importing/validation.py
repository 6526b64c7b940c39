"""Turning one source row into a ``HistoricalRequest``, or into the row errors that say why it cannot be.

Look-ups (places of the county, categories, units, dispute types) are loaded once per import; no query runs
per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from grassroots.common.protected import phone_problem
from grassroots.territory.importing.readers import cell_text
from grassroots.territory.importing.report import RowError
from grassroots.territory.models import Region
from grassroots.workforce.models import Unit

from ..categories import CategoryIndex
from ..history import HistoricalFollowUp, HistoricalRequest
from ..models import DisputeType, Kind, Satisfaction
from ..services import PUBLIC_CHANNELS
from ..workflow import Status
from .mapping import Mapping

DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日", "%Y-%m-%dT%H:%M:%S", "%Y%m%d")  # fmt: skip
RESOLVED_STATES = (Status.RESOLVED, Status.FOLLOW_UP, Status.CLOSED)


def parse_when(value: Any) -> datetime | None:
    """A cell as an aware datetime in the project's time zone (None when it is not a date)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(9, 0))
    else:
        text = cell_text(value).replace("T", " ") if value is not None else ""
        if not text:
            return None
        moment = None
        for fmt in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt.replace("T", " "))
                break
            except ValueError:
                continue
        if moment is None:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


@dataclass
class Lookups:
    """What a row refers to, loaded once: the county's places, units, categories and dispute types."""

    county: Region

    def __post_init__(self) -> None:
        places = Region.objects.filter(path__startswith=self.county.path).values_list(
            "id", "code", "name", "path"
        )
        self.place_by_code = {code: pk for pk, code, _, _ in places}
        names: dict[str, list[int]] = {}
        by_path_names: dict[str, str] = {path: name for _, _, name, path in places}
        self.place_by_full: dict[str, int] = {}
        for pk, _, name, path in places:
            names.setdefault(name, []).append(pk)
            chain = [by_path_names.get(p) for p in _prefixes(path) if p in by_path_names]
            self.place_by_full["/".join(n for n in chain[1:] if n)] = pk
        self.place_by_name = names
        units = list(Unit.objects.values_list("id", "code", "name"))
        self.unit_by_code = {code: pk for pk, code, _ in units}
        unit_names: dict[str, list[int]] = {}
        for pk, _, name in units:
            unit_names.setdefault(name, []).append(pk)
        self.unit_by_name = unit_names
        self.categories = CategoryIndex()
        self.dispute_types: dict[str, str] = {}
        for code, name, name_en in DisputeType.objects.filter(is_active=True).values_list(
            "code", "name", "name_en"
        ):
            self.dispute_types.update({code: code, name: code, name_en.casefold(): code})

    def place(self, text: str) -> tuple[int | None, str]:
        if text in self.place_by_code:
            return self.place_by_code[text], ""
        normalised = text.replace("／", "/").replace(">", "/").replace(" ", "")
        if normalised in self.place_by_full:
            return self.place_by_full[normalised], ""
        found = self.place_by_name.get(text, [])
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, f"{text} names {len(found)} places in {self.county.name}; give the code or 乡镇/村"
        return None, f"no place {text} in {self.county.name}"

    def unit(self, text: str) -> tuple[int | None, str]:
        if text in self.unit_by_code:
            return self.unit_by_code[text], ""
        found = self.unit_by_name.get(text, [])
        if len(found) == 1:
            return found[0], ""
        return None, (
            f"unit name {text} is used {len(found)} times; give its code" if found else f"no unit {text}"
        )


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def row_to_record(
    number: int, cells: dict[str, Any], mapping: Mapping, lookups: Lookups, now: datetime
) -> tuple[HistoricalRequest | None, list[RowError]]:
    """One row: the record to write, or every problem found in it (row number, source column, reason)."""
    errors: list[RowError] = []
    column = mapping.columns.get

    def text(key: str) -> str:
        return cell_text(cells.get(key)) if key in mapping.columns else ""

    def error(key: str, message: str, code: str = "invalid") -> None:
        errors.append(RowError(number, column(key, key), message, code))

    def choice(key: str) -> str:
        raw = text(key)
        if not raw:
            return mapping.defaults.get(key, "")
        ours = mapping.translate(key, raw)
        if ours is None:
            error(key, f"{raw} is not understood; map it to one of our values", "choice")
            return ""
        return ours

    record_id = text("record_id")
    if not record_id:
        error("record_id", "is required", "required")
    description = text("description")
    title = text("title") or description[:30]
    if not description:
        error("description", "is required", "required")
    created = parse_when(cells.get("created_at"))
    if created is None:
        error("created_at", f"{text('created_at') or 'empty'}: not a date and time", "required")
    elif created > now:
        error("created_at", "is in the future")
    kind, channel, urgency = choice("kind"), choice("channel"), choice("urgency") or "normal"
    status = choice("status") or mapping.defaults.get("status", "") or Status.CLOSED
    satisfaction, outcome = choice("satisfaction"), choice("outcome")
    for key, value in (("kind", kind), ("channel", channel)):
        if not value and not any(e.column == column(key, key) for e in errors):
            error(key, "is required (map the column or give a default)", "required")
    region_id = None
    place = text("region")
    if not place:
        error("region", "is required", "required")
    else:
        region_id, problem = lookups.place(place)
        if problem:
            error("region", problem)
    category_id = None
    if text("category"):
        category_id, problem = lookups.categories.find(text("category"))
        if problem:
            error("category", problem)
    dispute_type = ""
    if text("dispute_type"):
        raw = text("dispute_type")
        dispute_type = lookups.dispute_types.get(raw) or lookups.dispute_types.get(raw.casefold(), "")
        if not dispute_type:
            error("dispute_type", f"{raw} is not a configured dispute type")
    unit_text = text("lead_unit") or mapping.defaults.get("lead_unit", "")
    lead_unit = None
    if unit_text:
        lead_unit, problem = lookups.unit(unit_text)
        if problem:
            error("lead_unit", problem)
    phone = text("reporter_phone")
    if phone and phone_problem(phone):
        error("reporter_phone", f"{phone} is not a phone number")
    name = text("reporter_name")
    anonymous = not name
    if anonymous and (channel not in PUBLIC_CHANNELS or kind == Kind.DISPUTE):
        error("reporter_name", "is required (anonymous requests come only through public channels, never disputes)",
              "required")  # fmt: skip
    resolved = parse_when(cells.get("resolved_at")) if text("resolved_at") else None
    closed = parse_when(cells.get("closed_at")) if text("closed_at") else None
    for key, value in (("resolved_at", resolved), ("closed_at", closed)):
        if text(key) and value is None:
            error(key, f"{text(key)}: not a date and time")
        elif value and created and value < created:
            error(key, "is before the registration time")
        elif value and value > now:
            error(key, "is in the future")
    reason = text("reason")
    if status in (Status.REJECTED, Status.REDIRECTED) and not reason:
        reason = "来源系统记录" if "reason" not in mapping.columns else ""
        if not reason:
            error("reason", "a rejected or redirected request needs a reason", "required")
    if errors:
        return None, errors
    follow_ups = []
    if satisfaction and status in (*RESOLVED_STATES, Status.REOPENED):
        at = closed or (resolved + timedelta(days=1) if resolved else created + timedelta(days=5))
        at = min(at, now)
        reached = satisfaction != "unreached"
        follow_ups = [HistoricalFollowUp(at=at, reached=reached, satisfaction=satisfaction if reached else "",
                                         comment="来源系统回访记录" if satisfaction == Satisfaction.DISSATISFIED else "")]  # fmt: skip
        if status in (Status.RESOLVED,):
            status = Status.FOLLOW_UP
    if status in (*RESOLVED_STATES, Status.REOPENED) and resolved is None:
        resolved = closed or min(created + timedelta(days=5), now)
    return (
        HistoricalRequest(
            kind=kind, channel=channel, title=title, description=description, region_id=region_id,
            created_at=created, status=status, record_id=record_id, address=text("address"),
            reporter_name=name, reporter_phone=phone, is_anonymous=anonymous, category_id=category_id,
            dispute_type=dispute_type, urgency=urgency, lead_unit_id=lead_unit, resolved_at=resolved,
            outcome=outcome, closed_at=closed if status == Status.CLOSED else None, reason=reason,
            follow_ups=follow_ups, data={"source_status": text("status")} if text("status") else {},
        ),
        [],
    )  # fmt: skip
