"""The category catalogue (the three-level 12345 tree) and the configurable dispute types.

``category_catalogue_load`` loads a tree idempotently: a node is matched by its parent and name, so loading
the same file again changes nothing and a file with new rows only adds them. A new node's code is its
parent's code followed by its two-digit position among its siblings (``01``, ``0103``, ``010302``), taken
in file order, so the same file gives the same codes on every installation. ``path`` is the chain of codes
(``01/0103/010302/``), as regions and units materialise theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from grassroots.common.audit import audit_record
from grassroots.common.errors import FieldError, Forbidden, ValidationFailed
from grassroots.common.scoping import Actor, as_actor
from grassroots.routing.data import (
    TAXONOMY_FILE,
    CategoryNode,
    RoutingDataError,
    load_category_taxonomy,
    shared_data_dir,
)

from .builtin import BUILTIN_SOURCE, builtin_category_tree
from .models import Category, DisputeType

CODE_WIDTH = 2  # digits per level; up to 99 children under one node


@dataclass
class CatalogueReport:
    source: str
    created: int = 0
    unchanged: int = 0
    reactivated: int = 0

    @property
    def total(self) -> int:
        return self.created + self.unchanged + self.reactivated


def category_catalogue_load(
    *, actor: Actor | Any, path: str | Path | None = None, tree: CategoryNode | None = None
) -> CatalogueReport:
    """Load a category tree into ``Category``; see the module doc.

    Without ``path`` or ``tree`` the default is the shared 12345 catalogue when it is there, otherwise the
    built-in catalogue (``builtin.BUILTIN_CATALOGUE``); ``report.source`` names which one. Raises ``ValidationFailed`` naming the file and row when the file is malformed, and when a level would
    need more than 99 children."""
    actor = as_actor(actor)
    if actor.user is not None and not actor.is_admin:
        raise Forbidden("Only an administrator may load the category catalogue")
    source = str(path or TAXONOMY_FILE)
    if tree is None and path is None and not (shared_data_dir() / TAXONOMY_FILE).is_file():
        tree, source = builtin_category_tree(), BUILTIN_SOURCE
    if tree is None:
        try:
            tree = load_category_taxonomy(path)
        except (RoutingDataError, FileNotFoundError, OSError) as error:
            row = getattr(error, "row", None)
            raise ValidationFailed(
                "Category catalogue not loaded", [FieldError("file", str(error), code="invalid", row=row)]
            ) from None
    report = CatalogueReport(source=source)
    with transaction.atomic():
        existing = list(Category.objects.select_for_update().all())
        by_parent: dict[int | None, dict[str, Category]] = {}
        for category in existing:
            by_parent.setdefault(category.parent_id, {})[category.name] = category
        codes = {c.code for c in existing}
        for node in tree.children:
            _load_node(node, None, by_parent, codes, report)
        audit_record(
            actor=actor,
            action="category.catalogue_load",
            data={"source": report.source, "created": report.created, "reactivated": report.reactivated},
        )
    return report


def _load_node(
    node: CategoryNode,
    parent: Category | None,
    by_parent: dict[int | None, dict[str, Category]],
    codes: set[str],
    report: CatalogueReport,
) -> None:
    siblings = by_parent.setdefault(parent.pk if parent else None, {})
    category = siblings.get(node.name)
    if category is None:
        category = _create_child(node.name, parent, siblings, codes)
        report.created += 1
    elif not category.is_active:
        category.is_active = True
        category.save(update_fields=["is_active"])
        report.reactivated += 1
    else:
        report.unchanged += 1
    for child in node.children:
        _load_node(child, category, by_parent, codes, report)


def _create_child(
    name: str, parent: Category | None, siblings: dict[str, Category], codes: set[str]
) -> Category:
    prefix = parent.code if parent else ""
    position = len(siblings) + 1
    code = f"{prefix}{position:0{CODE_WIDTH}d}"
    while code in codes:
        position += 1
        code = f"{prefix}{position:0{CODE_WIDTH}d}"
    if position >= 10**CODE_WIDTH:
        where = f"{parent.name} / " if parent else ""
        raise ValidationFailed(
            "Category catalogue not loaded",
            [FieldError("file", f"{where}{name}: more than {10**CODE_WIDTH - 1} categories on one level")],
        )
    category = Category.objects.create(
        code=code,
        name=name,
        parent=parent,
        path=f"{parent.path if parent else ''}{code}/",
        default_unit=parent.default_unit if parent else None,
    )
    siblings[name] = category
    codes.add(code)
    return category


def category_full_name(category: Category, separator: str = "/") -> str:
    """``一级/二级/三级`` for a category (its ancestors' names, root first)."""
    codes = [c for c in category.path.split("/") if c]
    names = dict(Category.objects.filter(code__in=codes).values_list("code", "name"))
    return separator.join(names.get(code, "") for code in codes)


class CategoryIndex:
    """Finds categories by full path (``一级/二级/三级``, also with ``>`` or ``-`` between levels) or by a
    leaf name that is unique in the tree; built with one query."""

    SEPARATORS = ("/", ">", "／", "＞", "-", "—")

    def __init__(self) -> None:
        rows = list(Category.objects.filter(is_active=True).values_list("id", "code", "name", "path"))
        names = {code: name for _, code, name, _ in rows}
        self.by_path: dict[str, int] = {}
        self.by_code: dict[str, int] = {}
        self.by_leaf: dict[str, list[int]] = {}
        for pk, code, name, path in rows:
            full = "/".join(names.get(c, "") for c in path.split("/") if c)
            self.by_path[full] = pk
            self.by_code[code] = pk
            self.by_leaf.setdefault(name, []).append(pk)

    def find(self, text: str) -> tuple[int | None, str]:
        """``(category id, "")`` or ``(None, the reason)``."""
        text = text.strip()
        if not text:
            return None, ""
        normalised = text
        for separator in self.SEPARATORS[1:]:
            normalised = normalised.replace(separator, "/")
        normalised = "/".join(part.strip() for part in normalised.split("/") if part.strip())
        if normalised in self.by_path:
            return self.by_path[normalised], ""
        if text in self.by_code:
            return self.by_code[text], ""
        if "/" not in normalised:
            found = self.by_leaf.get(normalised, [])
            if len(found) == 1:
                return found[0], ""
            if len(found) > 1:
                return None, f"the category name {text} is used {len(found)} times; give the full path"
        return None, f"no category {text} (give 一级/二级/三级 or a unique name)"


def dispute_type_resolve(value: str) -> str | None:
    """The code of the active dispute type named by ``value`` (its code, Chinese or English name), or None."""
    value = (value or "").strip()
    if not value:
        return None
    for code, name, name_en in DisputeType.objects.filter(is_active=True).values_list(
        "code", "name", "name_en"
    ):
        if value in (code, name) or (name_en and value.casefold() == name_en.casefold()):
            return code
    return None


def dispute_type_choices() -> list[tuple[str, str]]:
    return list(DisputeType.objects.filter(is_active=True).values_list("code", "name"))
