"""The keyword rule layer: configurable rules that boost or force a label.

A rule names a label, plain keywords and/or one regular expression, a weight and whether it forces. Rules
match the normalised, lower-cased text (full-width folded to half-width, so "ＫＴＶ" matches "ktv").
Chinese keywords match anywhere; keywords made of ASCII letters and digits match whole words only ("tax"
does not fire on "taxi"; list "wages" beside "wage" if both are meant).

How rules combine with the model's probabilities ``p`` (see :meth:`KeywordRules.apply`):

1. Boost. Every matching rule adds its ``weight`` to its label's log-odds: ``p'(l) ∝ p(l) · exp(Σ w)``, then
   ``p'`` is renormalised to sum to 1. ``weight = 1`` multiplies the label's odds by e ≈ 2.7, ``weight = 2``
   by ≈ 7.4; a negative weight demotes. A label the model has never seen (a category added before it has any
   history) starts from the probability ``1 / (number of labels)`` before the boost.
2. Force. Among the matching rules with ``force=True`` the one with the largest weight (the first listed on
   a tie) puts its label first with confidence ``max(p'(l), force_confidence)``; the other labels share the
   remaining mass in proportion to ``p'``. Forcing is for matters that must go to one unit whatever the text
   says otherwise (wage arrears to labour inspection, say); boosting is the normal case.

Confidences after rules are no longer the model's calibrated probabilities: every suggestion records the
rules that touched it, so an officer and the routing report can tell the two apart.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grassroots.routing.text import normalise

_ASCII_WORD = re.compile(r"^[a-z0-9][a-z0-9 '\-]*$")


@dataclass(frozen=True)
class KeywordRule:
    """One rule: when any keyword (or the pattern) occurs in the text, boost or force ``label``."""

    label: str
    keywords: tuple[str, ...] = ()
    pattern: str = ""
    weight: float = 1.0
    force: bool = False
    force_confidence: float = 0.9
    name: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("a keyword rule needs a label")
        if not self.keywords and not self.pattern:
            raise ValueError(f"the rule for {self.label} needs keywords or a pattern")
        if not 0.0 < self.force_confidence <= 1.0:
            raise ValueError("force_confidence must be in (0, 1]")
        object.__setattr__(self, "keywords", tuple(self.keywords))
        object.__setattr__(self, "_matcher", self._compile())

    def _compile(self) -> re.Pattern[str]:
        parts = []
        for keyword in self.keywords:
            keyword = normalise(keyword).lower()
            if not keyword:
                continue
            escaped = re.escape(keyword)
            parts.append(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])" if _ASCII_WORD.match(keyword) else escaped)
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as error:
                raise ValueError(f"the rule for {self.label} has an invalid pattern: {error}") from None
            parts.append(f"(?:{self.pattern})")
        return re.compile("|".join(parts), re.IGNORECASE)

    @property
    def display_name(self) -> str:
        return self.name or f"{self.label}: {', '.join(self.keywords) or self.pattern}"

    def matches(self, normalised_text: str) -> bool:
        matcher: re.Pattern[str] = object.__getattribute__(self, "_matcher")
        return matcher.search(normalised_text) is not None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keywords"] = list(self.keywords)
        return data


@dataclass(frozen=True)
class RuleOutcome:
    """Probabilities after the rules, and for each label the rules that touched it."""

    probabilities: dict[str, float]
    fired: dict[str, tuple[str, ...]] = field(default_factory=dict)
    forced: str | None = None


class KeywordRules:
    """An ordered set of :class:`KeywordRule`; empty by default (the model alone decides)."""

    def __init__(self, rules: Iterable[KeywordRule] = ()) -> None:
        self.rules: tuple[KeywordRule, ...] = tuple(rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)

    @classmethod
    def from_dicts(cls, items: Sequence[Mapping[str, Any]]) -> KeywordRules:
        rules = []
        for number, item in enumerate(items, start=1):
            try:
                rules.append(
                    KeywordRule(
                        label=str(item["label"]),
                        keywords=tuple(str(word) for word in item.get("keywords", ())),
                        pattern=str(item.get("pattern", "")),
                        weight=float(item.get("weight", 1.0)),
                        force=bool(item.get("force", False)),
                        force_confidence=float(item.get("force_confidence", 0.9)),
                        name=str(item.get("name", "")),
                    )
                )
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"rule {number}: {error}") from None
        return cls(rules)

    @classmethod
    def from_json(cls, path: Path | str) -> KeywordRules:
        """Rules from a JSON file: a list of objects with label, keywords, pattern, weight, force, name."""
        path = Path(path)
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: cannot read rules ({error})") from None
        if not isinstance(items, list):
            raise ValueError(f"{path}: expected a JSON list of rules")
        try:
            return cls.from_dicts(items)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None

    def to_dicts(self) -> list[dict[str, Any]]:
        return [rule.to_dict() for rule in self.rules]

    def matching(self, text: str) -> list[KeywordRule]:
        folded = normalise(text).lower()
        return [rule for rule in self.rules if rule.matches(folded)]

    def apply(self, text: str, probabilities: Mapping[str, float]) -> RuleOutcome:
        """Combine the model's probabilities with the rules that match ``text`` (see the module text)."""
        matched = self.matching(text)
        if not matched:
            return RuleOutcome(dict(probabilities))
        labels = list(probabilities)
        labels += [rule.label for rule in matched if rule.label not in probabilities]
        labels = list(dict.fromkeys(labels))
        unseen = 1.0 / len(labels)
        boosts: dict[str, float] = {}
        fired: dict[str, list[str]] = {}
        for rule in matched:
            boosts[rule.label] = boosts.get(rule.label, 0.0) + rule.weight
            fired.setdefault(rule.label, []).append(rule.display_name)
        scores = {
            label: probabilities.get(label, unseen) * math.exp(boosts.get(label, 0.0)) for label in labels
        }
        total = sum(scores.values())
        boosted = {label: score / total for label, score in scores.items()}
        forcing = [rule for rule in matched if rule.force]
        forced = None
        if forcing:
            winner = max(forcing, key=lambda rule: rule.weight)  # max keeps the first on a tie
            forced = winner.label
            top = max(boosted[forced], winner.force_confidence)
            rest = sum(value for label, value in boosted.items() if label != forced)
            boosted = {
                label: top if label == forced else (value / rest * (1.0 - top) if rest > 0 else 0.0)
                for label, value in boosted.items()
            }
        return RuleOutcome(boosted, {label: tuple(names) for label, names in fired.items()}, forced)


def _rules(label: str, spec: Sequence[tuple[str, Sequence[str]]]) -> list[KeywordRule]:
    return [KeywordRule(label=label, keywords=tuple(words), name=f"{label}/{name}") for name, words in spec]


# Default rules for the first-level departments of a 12345-style message board (the labels of the
# government category taxonomy). Each rule is an unmistakable term of that department's remit, in Chinese
# and in English (ASCII words match whole words only, so plural forms are listed too); they boost (weight 1),
# never force. An organisation replaces or extends them with its own.
GOV_DEPARTMENT_RULES = KeywordRules(
    [
        *_rules(
            "劳动和社会保障",
            [
                (
                    "wages",
                    [
                        "欠薪",
                        "拖欠工资",
                        "讨薪",
                        "工资拖欠",
                        "unpaid wages",
                        "wage arrears",
                        "wages",
                        "salary",
                        "overtime",
                        "minimum wage",
                        "not paid",
                    ],
                ),
                (
                    "insurance",
                    [
                        "社保",
                        "养老保险",
                        "医保",
                        "失业保险",
                        "工伤",
                        "pension",
                        "pensions",
                        "social insurance",
                        "medical insurance",
                        "unemployment benefit",
                        "unemployment benefits",
                        "work injury",
                        "injured at work",
                        "retirement",
                    ],
                ),
                (
                    "labour",
                    [
                        "劳动合同",
                        "劳动仲裁",
                        "人社局",
                        "employment contract",
                        "labour arbitration",
                        "employer",
                        "dismissed",
                        "labour dispatch",
                        "maternity leave",
                    ],
                ),
            ],
        ),
        *_rules(
            "教育文体",
            [
                (
                    "schools",
                    [
                        "学校",
                        "幼儿园",
                        "教师",
                        "学生",
                        "教育局",
                        "school",
                        "schools",
                        "teacher",
                        "teachers",
                        "kindergarten",
                        "pupils",
                        "students",
                        "homework",
                        "tutoring",
                        "entrance exam",
                        "education bureau",
                    ],
                ),
                (
                    "culture",
                    ["图书馆", "文化馆", "体育馆", "library", "cultural centre", "sports ground", "stadium"],
                ),
            ],
        ),
        *_rules(
            "卫生计生",
            [
                (
                    "health",
                    [
                        "医院",
                        "医生",
                        "卫生院",
                        "疫苗",
                        "计生",
                        "hospital",
                        "clinic",
                        "vaccine",
                        "vaccination",
                        "doctor",
                        "nurse",
                        "patients",
                        "medical records",
                        "pharmacy",
                        "medicine",
                        "food hygiene",
                        "birth certificate",
                        "emergency room",
                    ],
                ),
            ],
        ),
        *_rules(
            "交通运输",
            [
                (
                    "transport",
                    [
                        "出租车",
                        "公交",
                        "的士",
                        "客运",
                        "货车",
                        "超载",
                        "taxi",
                        "taxis",
                        "bus route",
                        "bus stop",
                        "coach",
                        "coaches",
                        "trucks",
                        "traffic lights",
                        "driving licence",
                        "ride hailing",
                        "expressway",
                        "highway",
                        "metro",
                        "parking",
                    ],
                ),
            ],
        ),
        *_rules(
            "环境保护",
            [
                (
                    "pollution",
                    [
                        "污染",
                        "排污",
                        "噪音",
                        "噪声",
                        "环保局",
                        "pollution",
                        "noise",
                        "sewage",
                        "smoke",
                        "dust",
                        "garbage",
                        "rubbish",
                        "waste",
                        "dumping",
                        "stinks",
                        "smell",
                    ],
                ),
            ],
        ),
        *_rules(
            "城乡建设",
            [
                (
                    "housing",
                    [
                        "物业",
                        "小区",
                        "房产证",
                        "拆迁",
                        "违章建筑",
                        "违建",
                        "property management",
                        "housing estate",
                        "demolition",
                        "demolished",
                        "developer",
                        "lift",
                        "elevator",
                        "building permit",
                        "without any permit",
                        "rental housing",
                        "street lights",
                        "water pipes",
                        "maintenance fund",
                        "property ownership certificate",
                    ],
                ),
            ],
        ),
        *_rules(
            "商贸旅游",
            [
                (
                    "commerce",
                    [
                        "旅游",
                        "景区",
                        "消费者",
                        "商家",
                        "超市",
                        "tourism",
                        "consumer",
                        "shop",
                        "store",
                        "supermarket",
                        "refund",
                        "counterfeit",
                        "tour guide",
                        "travel agency",
                        "hotel",
                        "scenic area",
                        "restaurant",
                        "prices",
                        "market stalls",
                        "prepaid",
                    ],
                ),
            ],
        ),
    ]
)

# Default rules for dispute types of mediation cases (the LawBench consultation types).
DISPUTE_TYPE_RULES = KeywordRules(
    [
        *_rules("婚姻家庭", [("family", ["离婚", "抚养", "彩礼", "结婚", "divorce", "custody"])]),
        *_rules(
            "劳动纠纷", [("labour", ["工资", "劳动合同", "辞退", "工伤", "劳动仲裁", "wages", "dismissal"])]
        ),
        *_rules("交通事故", [("traffic", ["交通事故", "车祸", "撞", "肇事", "traffic accident"])]),
        *_rules("债权债务", [("debt", ["借款", "欠款", "借条", "还钱", "欠钱", "loan", "debt"])]),
        *_rules("拆迁安置", [("demolition", ["拆迁", "征收", "安置", "征地", "demolition", "relocation"])]),
        *_rules("知识产权", [("ip", ["商标", "专利", "著作权", "版权", "trademark", "patent", "copyright"])]),
        *_rules("医疗纠纷", [("medical", ["医院", "医疗事故", "手术", "医生", "malpractice"])]),
        *_rules("刑事辩护", [("criminal", ["判刑", "拘留", "刑事", "坐牢", "取保候审", "criminal"])]),
    ]
)
