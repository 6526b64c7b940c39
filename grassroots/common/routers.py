"""Sends reads marked for reporting to the replica when DATABASE_REPLICA_URL is set."""

from __future__ import annotations

from typing import Any


class ReplicaRouter:
    """Writes and ordinary reads go to ``default``. Reports opt in with ``.using("replica")`` — a
    dashboard may lag a replica by a second, a form must never read its own stale write."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return "default"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
