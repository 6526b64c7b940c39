"""On PostgreSQL the audit table refuses UPDATE and DELETE, so only someone who can bypass triggers
(a database superuser) can alter it — and audit_verify still catches that."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION grassroots_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON common_auditentry
    FOR EACH ROW EXECUTE FUNCTION grassroots_audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_append_only ON common_auditentry;
DROP FUNCTION IF EXISTS grassroots_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
