"""Text that signals danger, read at intake: self-harm, violence, threats, wage arrears before holidays.

A request's title and description are normalised with the routing text tools (full-width folding,
whitespace) and matched against phrase lists per signal. A negation just before a phrase ("没有轻生的想法")
cancels that match. Wage arrears are a signal of their own (the season before the Spring Festival turns
them into a risk of group action), raised to high severity in the eight weeks before the festival.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from grassroots.routing.text import normalise

SIGNALS: dict[str, tuple[object, tuple[str, ...]]] = {
    "self_harm": (
        _("self-harm"),
        (
            "自杀",
            "轻生",
            "寻死",
            "不想活",
            "活不下去",
            "跳楼",
            "跳河",
            "喝农药",
            "服毒",
            "割腕",
            "上吊",
            "一死了之",
            "suicide",
            "kill myself",
            "end my life",
        ),
    ),
    "violence": (
        _("violence"),
        (
            "打人",
            "殴打",
            "家暴",
            "家庭暴力",
            "持刀",
            "砍人",
            "动刀",
            "打伤",
            "打架斗殴",
            "施暴",
            "beat me",
            "violence",
        ),
    ),
    "threat": (
        _("threat"),
        (
            "同归于尽",
            "报复",
            "炸了",
            "放火",
            "烧了他",
            "要他的命",
            "弄死",
            "杀了",
            "威胁",
            "拼命",
            "threaten",
            "revenge",
        ),
    ),
    "wage_arrears": (
        _("wage arrears"),
        (
            "拖欠工资",
            "欠薪",
            "讨薪",
            "工资不发",
            "不发工资",
            "拿不到工资",
            "拖欠工钱",
            "讨要工钱",
            "结清工钱",
            "农民工工资",
            "欠工资",
            "unpaid wages",
        ),
    ),
}
# Phrases that read like a signal but are not one: a thing that "threatens health or safety", a fairground
# "drop tower" (跳楼机), gambling "in a crowd" (聚众赌博). Matched from the signal's own position.
_NOT_A_SIGNAL = {
    "threat": re.compile(r"威胁(着|到|了)?[^，。,.!！?？]{0,10}(健康|安全|生命|财产|环境|质量|秩序)"),
    "self_harm": re.compile(r"跳楼(机|价|大甩卖)"),
    "group": re.compile(r"聚众(赌博|吸毒|斗殴)"),
}
_NEGATION = re.compile(r"(没有|并没|并非|不是|无|未)[^，。,.!！?？]{0,4}$")
_PATTERNS = {
    code: re.compile("|".join(re.escape(p) for p in phrases), re.IGNORECASE)
    for code, (_label, phrases) in SIGNALS.items()
}
HOLIDAY_WINDOW = timedelta(weeks=8)

# Words of many people acting together on one matter (群体性 risk), read at intake like the danger signals.
GROUP_PHRASES = (
    "集体上访",
    "联名",
    "群体性",
    "聚集上访",
    "聚众",
    "围堵",
    "堵路",
    "拉横幅",
    "全村村民",
    "几十户",
    "上百户",
    "几十名",
    "上百名",
    "几十个工人",
    "多名工人",
    "多名村民",
    "村民集体",
    "集体讨薪",
    "many residents",
    "petition signed",
)
_GROUP_PATTERN = re.compile("|".join(re.escape(p) for p in GROUP_PHRASES), re.IGNORECASE)


@dataclass(frozen=True)
class DangerSignal:
    code: str
    phrases: tuple[str, ...]


def spring_festival(year: int) -> date | None:
    """The first day of the Spring Festival holiday of ``year`` from China's official calendar."""
    try:
        from chinese_calendar import get_holiday_detail
    except ImportError:
        return None
    day = date(year, 1, 15)
    while day <= date(year, 2, 28):
        try:
            is_holiday, name = get_holiday_detail(day)
        except NotImplementedError:
            return None
        if is_holiday and name == "Spring Festival":
            return day
        day += timedelta(days=1)
    return None


def before_holiday(today: date) -> bool:
    """True in the eight weeks before the Spring Festival (this year's or next year's)."""
    for year in (today.year, today.year + 1):
        festival = spring_festival(year)
        if festival and timedelta(0) <= festival - today <= HOLIDAY_WINDOW:
            return True
    return False


def detect(text: str) -> list[DangerSignal]:
    """The danger signals in a text, each with the phrases that matched (negated phrases left out)."""
    text = normalise(text)
    found = []
    for code, pattern in _PATTERNS.items():
        phrases = []
        for match in pattern.finditer(text):
            if _NEGATION.search(text[max(0, match.start() - 6) : match.start()]):
                continue
            if code in _NOT_A_SIGNAL and _NOT_A_SIGNAL[code].match(text, match.start()):
                continue
            phrases.append(match.group(0))
        if phrases:
            found.append(DangerSignal(code, tuple(dict.fromkeys(phrases))))
    return found


def severity_of(signals: list[DangerSignal], today: date) -> str:
    """High for self-harm, violence and threats, and for wage arrears before the holidays; medium else."""
    codes = {s.code for s in signals}
    if codes & {"self_harm", "violence", "threat"}:
        return "high"
    if "wage_arrears" in codes and before_holiday(today):
        return "high"
    return "medium"


def signal_label(code: str) -> str:
    return str(SIGNALS[code][0]) if code in SIGNALS else code


def group_phrases(text: str) -> list[str]:
    """The words of a text that speak of many people acting together (negated ones left out)."""
    text = normalise(text)
    found = []
    for match in _GROUP_PATTERN.finditer(text):
        if _NEGATION.search(text[max(0, match.start() - 6) : match.start()]):
            continue
        if _NOT_A_SIGNAL["group"].match(text, match.start()):
            continue
        found.append(match.group(0))
    return list(dict.fromkeys(found))
