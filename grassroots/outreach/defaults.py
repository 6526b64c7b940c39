"""The default visit rules (also seeded by migration 0002): restored where a test flushed them, and used by
the demo."""

from __future__ import annotations

import importlib

from grassroots.territory.models import CareTag

from .models import VisitRule


def default_rules() -> list[tuple[str, str, str, str, int]]:
    return importlib.import_module("grassroots.outreach.migrations.0002_default_visit_rules").DEFAULT_RULES


def ensure_default_rules() -> list[VisitRule]:
    """Create the default rules when there are none; return the active rules."""
    if not VisitRule.objects.exists():
        tags = {t.code: t for t in CareTag.objects.all()}
        for name, applies_to, tag_code, kind, days in default_rules():
            if tag_code and tag_code not in tags:
                continue
            VisitRule.objects.create(
                name=name,
                applies_to=applies_to,
                care_tag=tags.get(tag_code) if tag_code else None,
                organization_kind=kind,
                interval_days=days,
            )
    return list(VisitRule.objects.filter(is_active=True))
