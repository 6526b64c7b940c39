import io
import json
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from grassroots.common.audit import (
    AuditRecord,
    audit_append,
    audit_export_lines,
    audit_verify,
    verify_export_lines,
)
from grassroots.common.models import AuditEntry, AuditHead


def _tamper(sql: str, params: list) -> None:
    """Alter a row behind the application's back (on PostgreSQL, as a superuser bypassing the trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.mark.django_db
def test_services_write_a_verifiable_chain(world):
    result = audit_verify()
    assert result.ok, result.problem
    assert result.checked == AuditEntry.objects.count() > 20
    assert AuditHead.objects.get().last_hash == AuditEntry.objects.order_by("-id").first().hash


@pytest.mark.django_db
def test_verify_names_the_first_altered_entry(world):
    target = AuditEntry.objects.filter(action="household.create").order_by("id").first()
    _tamper("UPDATE common_auditentry SET actor_label = %s WHERE id = %s", ["someone-else", target.id])
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_id == target.id
    assert "content" in result.problem
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", stderr=err)
    assert f"entry {target.id}" in err.getvalue()


@pytest.mark.django_db
def test_verify_catches_deleted_and_truncated_entries(world):
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    _tamper("DELETE FROM common_auditentry WHERE id = %s", [ids[5]])
    result = audit_verify()
    assert not result.ok and result.first_bad_id == ids[6]


@pytest.mark.django_db
def test_verify_catches_a_removed_tail(world):
    last = AuditEntry.objects.order_by("-id").first()
    _tamper("DELETE FROM common_auditentry WHERE id = %s", [last.id])
    result = audit_verify()
    assert not result.ok and "missing" in result.problem


@pytest.mark.django_db
def test_export_verifies_elsewhere_and_detects_edits(world):
    lines = list(audit_export_lines())
    header = json.loads(lines[0])
    assert header["format"] == "grassroots-audit-export/1" and "sha256" in header["chain_rule"]
    assert verify_export_lines(lines).ok
    entry = json.loads(lines[3])
    entry["data"]["injected"] = True
    tampered = [*lines[:3], json.dumps(entry, ensure_ascii=False), *lines[4:]]
    result = verify_export_lines(tampered)
    assert not result.ok and result.first_bad_id == entry["id"]


@pytest.mark.django_db
def test_export_command_round_trip(world, tmp_path):
    out = tmp_path / "audit.jsonl"
    call_command("audit_export", out=str(out), stderr=io.StringIO())
    stdout = io.StringIO()
    call_command("audit_verify", file=str(out), stdout=stdout)
    assert "intact" in stdout.getvalue()


@pytest.mark.django_db
def test_rolled_back_transaction_leaves_no_entry_and_chain_intact(world):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_append(actor=None, records=[AuditRecord(action="test.rollback")])
        raise RuntimeError("abort")
    assert AuditEntry.objects.count() == before
    audit_append(actor=None, records=[AuditRecord(action="test.after")])
    assert audit_verify().ok


@pytest.mark.django_db
def test_audit_table_is_append_only_on_postgresql(world, postgres_only):
    entry = AuditEntry.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain(postgres_only):
    """Eight threads append at once: every entry lands, in one unbroken chain."""
    errors = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                audit_append(
                    actor=None, records=[AuditRecord(action="test.concurrent", object_id=f"{n}-{i}")]
                )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEntry.objects.filter(action="test.concurrent").count() == 80
    result = audit_verify()
    assert result.ok and result.checked == 80
