"""The hash-chained audit log: append (inside the caller's transaction), verify, export.

Chain rule (also written into every export so that it can be verified elsewhere):
    hash_n = sha256( prev_hash_n + "\\n" + canonical_n ), prev_hash_1 = 64 zeros,
    canonical = JSON of {id, created_at (ISO 8601 UTC), actor_id, actor_label, action, object_type,
                object_id, reason, data} with sorted keys, no whitespace, UTF-8, non-ASCII kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64
CHAIN_RULE = (
    "hash = sha256(prev_hash + '\\n' + canonical); canonical = json.dumps({id, created_at, actor_id, "
    "actor_label, action, object_type, object_id, reason, data}, sort_keys=True, separators=(',', ':'), "
    "ensure_ascii=False) encoded as UTF-8; created_at in ISO 8601 UTC with microseconds; first prev_hash "
    "is 64 zeros; entries in ascending id."
)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: dict[str, Any]) -> str:
    body = {
        "id": entry["id"],
        "created_at": entry["created_at"]
        if isinstance(entry["created_at"], str)
        else _iso(entry["created_at"]),
        "actor_id": entry["actor_id"],
        "actor_label": entry["actor_label"],
        "action": entry["action"],
        "object_type": entry["object_type"],
        "object_id": entry["object_id"],
        "reason": entry["reason"],
        "data": entry["data"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, canonical_text: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_text).encode()).hexdigest()


@dataclass(frozen=True)
class AuditRecord:
    """What a service wants to write; ``audit_append`` gives it an id, a time and its place in the chain."""

    action: str
    object_type: str = ""
    object_id: str = ""
    data: dict[str, Any] | None = None
    reason: str = ""


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    user = getattr(actor, "user", actor)
    if user is None or not getattr(user, "is_authenticated", False):
        return None, "system" if user is None else "anonymous"
    return user.pk, user.get_username()


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _lock_head() -> tuple[str, int]:
    """Lock the chain's head row and read it in one statement: an UPDATE (PostgreSQL takes the row lock,
    SQLite its write lock) returning the tip. The lock is held until the caller's transaction ends, so
    services append their entry as their last write."""
    table = connection.ops.quote_name(AuditHead._meta.db_table)
    sql = (
        f"UPDATE {table} SET lock_counter = lock_counter + 1 WHERE id = 1 "  # noqa: S608 - fixed names
        "RETURNING last_hash, last_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:  # a fresh database: create the head, then lock it
            AuditHead.objects.get_or_create(id=1)
            cursor.execute(sql)
            row = cursor.fetchone()
    return row[0], row[1]


def audit_append(*, actor: Any, records: Iterable[AuditRecord]) -> list[AuditEntry]:
    """Append records to the chain atomically. ``actor`` is a User, an Actor or None (system)."""
    records = list(records)
    if not records:
        return []
    actor_id, actor_label = _actor_fields(actor)
    # No savepoint of its own: a failed append must undo the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        prev, last_id = _lock_head()
        next_id = last_id + 1
        now = timezone.now()
        entries = []
        for record in records:
            fields = {
                "id": next_id,
                "created_at": now,
                "actor_id": actor_id,
                "actor_label": actor_label,
                "action": record.action,
                "object_type": record.object_type,
                "object_id": str(record.object_id),
                "reason": record.reason,
                "data": _json_safe(record.data or {}),
            }
            digest = chain_hash(prev, canonical(fields))
            entries.append(AuditEntry(prev_hash=prev, hash=digest, **fields))
            prev, next_id = digest, next_id + 1
        AuditEntry.objects.bulk_create(entries, batch_size=500)
        AuditHead.objects.filter(id=1).update(last_id=next_id - 1, last_hash=prev)
    return entries


def audit_record(
    *, actor: Any, action: str, obj: Any = None, data: dict[str, Any] | None = None, reason: str = ""
) -> AuditEntry:
    object_type = obj._meta.label_lower if obj is not None and hasattr(obj, "_meta") else ""
    object_id = str(obj.pk) if obj is not None and hasattr(obj, "pk") else ""
    return audit_append(
        actor=actor,
        records=[
            AuditRecord(action=action, object_type=object_type, object_id=object_id, data=data, reason=reason)
        ],
    )[0]


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""
    head_hash: str = GENESIS


def _entry_dicts_from_db(batch: int = 5000) -> Iterator[dict[str, Any]]:
    last = 0
    fields = [
        "id",
        "created_at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "reason",
        "data",
        "prev_hash",
        "hash",
    ]
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last).order_by("id").values(*fields)[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


def verify_entries(entries: Iterable[dict[str, Any]], expected_head: str | None = None) -> VerifyResult:
    """Recompute the chain; report the first entry whose content, link or order is wrong."""
    prev = GENESIS
    checked = 0
    previous_id = 0
    for entry in entries:
        if entry["id"] != previous_id + 1:
            return VerifyResult(
                False, checked, entry["id"], f"gap or reordering after entry {previous_id}", prev
            )
        if entry["prev_hash"] != prev:
            return VerifyResult(
                False, checked, entry["id"], "prev_hash does not match the previous entry", prev
            )
        if chain_hash(prev, canonical(entry)) != entry["hash"]:
            return VerifyResult(False, checked, entry["id"], "content does not match its hash", prev)
        prev = entry["hash"]
        previous_id = entry["id"]
        checked += 1
    if expected_head is not None and prev != expected_head:
        return VerifyResult(False, checked, previous_id + 1, "entries after the last one are missing", prev)
    return VerifyResult(True, checked, None, "", prev)


def audit_verify() -> VerifyResult:
    head = AuditHead.objects.filter(id=1).first()
    return verify_entries(_entry_dicts_from_db(), expected_head=head.last_hash if head else GENESIS)


def audit_export_lines() -> Iterator[str]:
    """JSON Lines: a header with the chain rule and head, then one entry per line with its hashes."""
    head = AuditHead.objects.filter(id=1).first()
    yield json.dumps(
        {
            "format": "grassroots-audit-export/1",
            "chain_rule": CHAIN_RULE,
            "genesis": GENESIS,
            "head_id": head.last_id if head else 0,
            "head_hash": head.last_hash if head else GENESIS,
            "exported_at": _iso(timezone.now()),
        },
        ensure_ascii=False,
    )
    for entry in _entry_dicts_from_db():
        entry = dict(entry)
        entry["created_at"] = _iso(entry["created_at"])
        yield json.dumps(entry, ensure_ascii=False, sort_keys=True)


def verify_export_lines(lines: Iterable[str]) -> VerifyResult:
    iterator = iter(lines)
    header = json.loads(next(iterator))
    entries = (json.loads(line) for line in iterator if line.strip())
    return verify_entries(entries, expected_head=header.get("head_hash"))
