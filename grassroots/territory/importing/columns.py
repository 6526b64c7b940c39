"""The register's columns: keys, Chinese and English headers with their variants, relationships, care tags.

Shared by the importer (which maps a file's header row onto these keys) and the exporter (which writes
them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..models import Relationship
from .report import RowError


@dataclass(frozen=True)
class Column:
    key: str
    header_zh: str
    header_en: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("household_number", "户编号", "household_number", True, ("户号", "户籍编号", "household number")),
    Column(
        "village_code",
        "村社区代码",
        "village_code",
        True,
        (
            "村（社区）代码",
            "村(社区)代码",
            "村居代码",
            "村社区编码",
            "区划代码",
            "village code",
            "region_code",
        ),
    ),
    Column("grid_code", "网格编码", "grid_code", False, ("网格编号", "网格代码", "grid code", "grid")),
    Column("address", "地址", "address", True, ("家庭住址", "住址", "户籍地址")),
    Column("care_tags", "关爱标签", "care_tags", False, ("关爱类别", "标签", "care tags", "tags")),
    Column("name", "姓名", "name", True),
    Column("relationship", "与户主关系", "relationship", False, ("关系", "relationship_to_head")),
    Column("id_number", "身份证号", "id_number", False, ("身份证号码", "公民身份号码", "id number", "id_no")),
    Column("phone", "联系电话", "phone", False, ("电话", "手机号", "手机号码", "联系方式", "mobile")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
COLUMN_KEYS = tuple(COLUMN_BY_KEY)
HOUSEHOLD_KEYS = ("village_code", "grid_code", "address", "care_tags")
RESIDENT_KEYS = ("name", "relationship", "id_number", "phone")


def _header_key(text: str) -> str:
    text = (text or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s*＊:：_\-]+", "", text)


_HEADER_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.key, _column.header_zh, _column.header_en, *_column.aliases):
        _HEADER_ALIASES[_header_key(_alias)] = _column.key

RELATIONSHIP_LABELS_ZH = {
    Relationship.HEAD: "户主",
    Relationship.SPOUSE: "配偶",
    Relationship.CHILD: "子女",
    Relationship.PARENT: "父母",
    Relationship.GRANDCHILD: "孙子女",
    Relationship.SIBLING: "兄弟姐妹",
    Relationship.OTHER: "其他",
}
_RELATIONSHIP_SYNONYMS = {
    "本人": Relationship.HEAD,
    "户主本人": Relationship.HEAD,
    "妻": Relationship.SPOUSE,
    "妻子": Relationship.SPOUSE,
    "夫": Relationship.SPOUSE,
    "丈夫": Relationship.SPOUSE,
    "子": Relationship.CHILD,
    "女": Relationship.CHILD,
    "儿子": Relationship.CHILD,
    "女儿": Relationship.CHILD,
    "父亲": Relationship.PARENT,
    "母亲": Relationship.PARENT,
    "孙子": Relationship.GRANDCHILD,
    "孙女": Relationship.GRANDCHILD,
    "外孙子": Relationship.GRANDCHILD,
    "外孙女": Relationship.GRANDCHILD,
    "兄": Relationship.SIBLING,
    "弟": Relationship.SIBLING,
    "姐": Relationship.SIBLING,
    "妹": Relationship.SIBLING,
    "其它": Relationship.OTHER,
}
# Lower-cased cell text -> relationship code.
RELATIONSHIPS: dict[str, str] = {}
for _code, _label in RELATIONSHIP_LABELS_ZH.items():
    RELATIONSHIPS[_label] = _code
    RELATIONSHIPS[str(_code)] = _code
for _code, _label in Relationship.choices:
    RELATIONSHIPS[str(_label).lower()] = _code
RELATIONSHIPS.update(_RELATIONSHIP_SYNONYMS)

CARE_TAG_SEPARATORS = re.compile(r"[、,，;；|]+")


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in CARE_TAG_SEPARATORS.split(text or "") if t.strip()]


def map_headers(headers: list[str]) -> tuple[dict[int, str], dict[str, str], list[RowError]]:
    """Column index -> key, key -> header text, and header problems (unknown columns are ignored)."""
    index: dict[int, str] = {}
    names: dict[str, str] = {}
    problems: list[RowError] = []
    for position, text in enumerate(headers):
        key = _HEADER_ALIASES.get(_header_key(str(text or "")))
        if key is None:
            continue
        if key in names:
            problems.append(
                RowError(1, str(text), _("repeats the column “%(first)s”") % {"first": names[key]}, "header")
            )
            continue
        index[position] = key
        names[key] = str(text).strip()
    chinese = any(re.search(r"[\u4e00-\u9fff]", str(h or "")) for h in headers)
    for column in COLUMNS:
        if column.key not in names:
            names[column.key] = column.header_zh if chinese else column.header_en
            if column.required:
                problems.append(
                    RowError(1, names[column.key], _("required column is missing"), "missing_column")
                )
    return index, names, problems
