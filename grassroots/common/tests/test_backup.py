"""Backup and restore on PostgreSQL: a database dumped with ``pg_dump -Fc`` and restored with ``pg_restore``
into a fresh database keeps every row, its append-only trigger and an audit chain that verifies (the
procedure in docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from grassroots.casework.services import IntakeInput, request_intake
from grassroots.common.audit import audit_verify
from grassroots.common.models import AuditEntry

ROOT = Path(settings.BASE_DIR)


def _pg_args(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    args = ["-h", settings_dict.get("HOST") or "127.0.0.1", "-p", str(settings_dict.get("PORT") or 5432)]
    args += ["-U", settings_dict.get("USER") or "postgres"]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return args, env


def _psql(database: str, sql: str, args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        ["psql", *args, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"psql failed: {result.stderr}")
    return result.stdout.strip()


@pytest.mark.django_db(transaction=True)
def test_dump_and_restore_round_trip_keeps_rows_trigger_and_audit_chain(world, postgres_only, tmp_path):
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (PostgreSQL client tools are needed for this test)")
    for n in range(3):
        request_intake(
            actor=world.user_officer_a1,
            data=IntakeInput(
                channel="window",
                kind="help",
                title=f"求助 {n}",
                description="家中老人需要照护",
                region=world.village_a1,
                reporter_name="王某",
                reporter_phone="13800138000",
            ),
        )
    source = connection.settings_dict
    args, env = _pg_args(source)
    tables = ["common_auditentry", "casework_request", "casework_requestevent", "territory_resident"]
    before = {t: _psql(source["NAME"], f"SELECT count(*) FROM {t}", args, env) for t in tables}  # noqa: S608
    assert int(before["casework_request"]) == 3 and audit_verify().ok

    dump = tmp_path / "grassroots.dump"
    subprocess.run(["pg_dump", *args, "-Fc", "-f", str(dump), source["NAME"]], env=env, check=True)
    restored = f"{source['NAME']}_restored"
    _psql("postgres", f'DROP DATABASE IF EXISTS "{restored}"', args, env)
    _psql("postgres", f'CREATE DATABASE "{restored}"', args, env)
    try:
        subprocess.run(
            ["pg_restore", *args, "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
            env=env,
            check=True,
        )
        after = {t: _psql(restored, f"SELECT count(*) FROM {t}", args, env) for t in tables}  # noqa: S608
        assert after == before
        # The restored database verifies on its own, through the command an operator runs after a restore.
        url = (
            f"postgres://{source.get('USER') or 'postgres'}@{source.get('HOST') or '127.0.0.1'}:"
            f"{source.get('PORT') or 5432}/{restored}"
        )
        verify = subprocess.run(
            [sys.executable, "manage.py", "audit_verify"],
            cwd=ROOT,
            env={**env, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert verify.returncode == 0, verify.stderr
        assert f"audit chain intact: {AuditEntry.objects.count()} entries" in verify.stdout
        # The append-only trigger came back with the schema.
        refused = subprocess.run(
            ["psql", *args, "-d", restored, "-c", "UPDATE common_auditentry SET action = 'x'"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode != 0 and "append-only" in refused.stderr
    finally:
        _psql("postgres", f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)', args, env)
