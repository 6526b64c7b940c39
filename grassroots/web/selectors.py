"""Reads the pages need that belong to no domain app: the audit chain's head."""

from __future__ import annotations

from grassroots.common.audit import GENESIS
from grassroots.common.models import AuditHead


def audit_head_get() -> AuditHead:
    """The tip of the hash chain (an unsaved empty head before the first entry)."""
    return AuditHead.objects.filter(id=1).first() or AuditHead(id=1, last_id=0, last_hash=GENESIS)
