"""The column mapping of a request import: which source column fills which field, how source values map onto
ours, and the defaults for what the source does not say.

A mapping is plain JSON (saved as a preset, stored on a job, or given to the command as a file)::

    {"source": "lankao-12345",
     "columns": {"record_id": "工单编号", "title": "标题", "created_at": "登记时间", ...},
     "values": {"status": {"已办结": "closed"}, "channel": {"12345热线": "hotline"}},
     "defaults": {"channel": "hotline", "kind": "consultation", "lead_unit": "CA-T1"}}

Values need a mapping only where the source uses its own words: our codes, our English labels and the usual
Chinese names (``BUILT_IN_VALUES``) are understood without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from ..models import Channel, Kind, Satisfaction, Urgency
from ..services import OUTCOMES
from ..workflow import Status


@dataclass(frozen=True)
class Target:
    key: str
    label: Any
    required: bool = False
    synonyms: tuple[str, ...] = ()


TARGETS = [
    Target("record_id", _("Record id in the source system"), True, ("工单编号", "编号", "受理编号", "id", "service_request_id", "case id")),
    Target("created_at", _("Registered at"), True, ("登记时间", "受理时间", "来电时间", "留言时间", "created", "requested_datetime")),
    Target("title", _("Title"), False, ("标题", "主题", "留言主题", "诉求标题", "title", "subject")),
    Target("description", _("Description"), True, ("内容", "诉求内容", "留言详情", "问题描述", "description", "details")),
    Target("kind", _("Kind"), False, ("诉求类型", "类型", "工单类型", "kind", "type")),
    Target("channel", _("Channel"), False, ("来源", "渠道", "来源渠道", "channel", "source")),
    Target("status", _("Status"), False, ("办理状态", "状态", "工单状态", "status")),
    Target("urgency", _("Urgency"), False, ("紧急程度", "缓急", "urgency", "priority")),
    Target("category", _("Category"), False, ("分类", "诉求分类", "事项分类", "三级分类", "category", "service_name")),
    Target("dispute_type", _("Dispute type"), False, ("纠纷类型", "dispute type")),
    Target("region", _("Place (region code or name)"), True, ("所属村", "村（社区）", "所属区域", "区域", "乡镇", "region")),
    Target("address", _("Address"), False, ("地址", "事发地址", "详细地址", "address")),
    Target("reporter_name", _("Reporter name"), False, ("来电人", "反映人", "诉求人", "姓名", "留言用户", "name")),
    Target("reporter_phone", _("Reporter phone"), False, ("联系电话", "电话", "手机", "phone")),
    Target("lead_unit", _("Lead unit (code or name)"), False, ("承办单位", "主办单位", "责任单位", "agency")),
    Target("resolved_at", _("Resolved at"), False, ("办结时间", "完成时间", "resolved", "closed_datetime")),
    Target("closed_at", _("Closed at"), False, ("结案时间", "归档时间", "closed")),
    Target("outcome", _("Outcome"), False, ("办理结果", "结果", "outcome")),
    Target("satisfaction", _("Satisfaction"), False, ("满意度", "回访结果", "评价", "satisfaction")),
    Target("reason", _("Reason (rejection, redirection)"), False, ("原因", "退回原因", "不予受理原因", "reason")),
]  # fmt: skip
TARGET_KEYS = [t.key for t in TARGETS]
MAPPED_VALUES = ("kind", "channel", "status", "urgency", "satisfaction", "outcome")
DEFAULTABLE = ("kind", "channel", "status", "urgency", "lead_unit")

BUILT_IN_VALUES: dict[str, dict[str, str]] = {
    "kind": {"咨询": "consultation", "求助": "help", "投诉": "complaint", "投诉举报": "complaint", "举报": "complaint",
             "意见建议": "suggestion", "建议": "suggestion", "求决": "demand", "纠纷": "dispute",
             "矛盾纠纷": "dispute"},
    "channel": {"窗口": "window", "来访": "window", "信访": "petition", "热线": "hotline", "12345": "hotline",
                "12345热线": "hotline", "电话": "hotline", "网站": "web", "网络": "web", "网上": "web",
                "短信": "messaging", "微信": "messaging", "网格员上报": "grid_report", "网格": "grid_report",
                "走访": "visit", "入户走访": "visit", "法院委派": "court_referral", "委派": "court_referral"},
    "status": {"登记": "registered", "待受理": "registered", "受理": "accepted", "已受理": "accepted",
               "不予受理": "rejected", "转办": "redirected", "派单": "assigned", "已派单": "assigned",
               "办理中": "in_progress", "处理中": "in_progress", "办结": "resolved", "已办结": "resolved",
               "待回访": "resolved", "回访": "follow_up", "回访中": "follow_up", "结案": "closed",
               "已结案": "closed", "已归档": "closed", "重办": "reopened", "open": "in_progress",
               "closed": "closed"},
    "urgency": {"一般": "normal", "普通": "normal", "加急": "urgent", "急": "urgent", "紧急": "emergency",
                "特急": "emergency"},
    "satisfaction": {"满意": "satisfied", "非常满意": "satisfied", "基本满意": "basically",
                     "不满意": "dissatisfied", "未联系上": "unreached", "未接通": "unreached"},
    "outcome": {"已解决": "fulfilled", "解决": "fulfilled", "已答复": "explained", "解释说明": "explained",
                "调解成功": "agreement", "达成协议": "agreement", "诉讼": "litigation", "转诉讼": "litigation",
                "移交": "transferred", "无法办理": "unable"},
}  # fmt: skip
OUR_VALUES: dict[str, list[str]] = {
    "kind": list(Kind.values),
    "channel": list(Channel.values),
    "status": list(Status.values),
    "urgency": list(Urgency.values),
    "satisfaction": [*Satisfaction.values, "unreached"],
    "outcome": list(OUTCOMES),
}
_LABELS = {
    "kind": Kind,
    "channel": Channel,
    "status": Status,
    "urgency": Urgency,
    "satisfaction": Satisfaction,
}


class MappingProblem(ValueError):
    """The mapping itself is wrong (names the key and the reason)."""


@dataclass
class Mapping:
    source: str
    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "columns": self.columns,
            "values": self.values,
            "defaults": self.defaults,
        }

    def translate(self, target: str, raw: str) -> str | None:
        """Our value for a source value (None when it is not understood)."""
        text = raw.strip()
        if not text:
            return ""
        own = self.values.get(target, {})
        if text in own:
            return own[text]
        if text in OUR_VALUES[target]:
            return text
        folded = text.casefold()
        for value in OUR_VALUES[target]:
            if folded == value.casefold():
                return value
        choices = _LABELS.get(target)
        if choices is not None:
            for value, label in choices.choices:
                if folded == str(label).casefold():
                    return value
        return BUILT_IN_VALUES.get(target, {}).get(text)


def mapping_from_dict(data: Any, headers: list[str] | None = None) -> Mapping:
    """Check a mapping (and, given the file's header, that every mapped column is in it)."""
    if not isinstance(data, dict):
        raise MappingProblem("the mapping must be a JSON object")
    source = str(data.get("source") or "").strip()
    if not source:
        raise MappingProblem("source: name the source system (it keeps re-imports from duplicating)")
    columns = data.get("columns") or {}
    values = data.get("values") or {}
    defaults = data.get("defaults") or {}
    if not all(isinstance(x, dict) for x in (columns, values, defaults)):
        raise MappingProblem("columns, values and defaults must be JSON objects")
    columns = {str(k): str(v).strip() for k, v in columns.items() if str(v).strip()}
    unknown = [k for k in columns if k not in TARGET_KEYS]
    if unknown:
        raise MappingProblem(f"columns: unknown field(s) {', '.join(unknown)}")
    for target in TARGETS:
        if target.required and target.key not in columns:
            raise MappingProblem(f"columns: {target.key} must be mapped to a column")
    if headers is not None:
        missing = [f"{k} → {v}" for k, v in columns.items() if v not in headers]
        if missing:
            raise MappingProblem(f"columns: not in the file's header: {', '.join(missing)}")
    clean_values: dict[str, dict[str, str]] = {}
    for target, pairs in values.items():
        if target not in MAPPED_VALUES or not isinstance(pairs, dict):
            raise MappingProblem(f"values: {target} cannot be mapped (only {', '.join(MAPPED_VALUES)})")
        for source_value, ours in pairs.items():
            if ours not in OUR_VALUES[target]:
                raise MappingProblem(
                    f"values.{target}: {source_value} → {ours}: not one of {', '.join(OUR_VALUES[target])}"
                )
        clean_values[target] = {str(k).strip(): str(v) for k, v in pairs.items()}
    for key, value in defaults.items():
        if key not in DEFAULTABLE:
            raise MappingProblem(f"defaults: {key} has no default (only {', '.join(DEFAULTABLE)})")
        if key in OUR_VALUES and value not in OUR_VALUES[key]:
            raise MappingProblem(f"defaults.{key}: {value} is not one of {', '.join(OUR_VALUES[key])}")
    for key in ("kind", "channel"):
        if key not in columns and key not in defaults:
            raise MappingProblem(f"{key}: map a column or give a default")
    return Mapping(source=source[:60], columns=columns, values=clean_values, defaults=dict(defaults))


def guess_columns(headers: list[str]) -> dict[str, str]:
    """A first mapping from the header's names (the person checks and corrects it)."""
    guessed: dict[str, str] = {}
    folded = {h.strip().casefold(): h for h in headers if h and h.strip()}
    for target in TARGETS:
        for synonym in target.synonyms:
            header = folded.get(synonym.casefold())
            if header is not None and header not in guessed.values():
                guessed[target.key] = header
                break
    return guessed
