"""On PostgreSQL the database itself refuses to change or delete a published run or its results.

A demo reset (and only it) may purge them by setting ``evaluation.allow_purge`` for its transaction."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION grassroots_evaluation_published_run() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' AND coalesce(current_setting('evaluation.allow_purge', true), '') <> 'on' THEN
        RAISE EXCEPTION 'evaluation run % is published and cannot change', OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER evaluation_run_published BEFORE UPDATE OR DELETE ON evaluation_evaluationrun
    FOR EACH ROW EXECUTE FUNCTION grassroots_evaluation_published_run();

CREATE OR REPLACE FUNCTION grassroots_evaluation_published_result() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('evaluation.allow_purge', true), '') <> 'on' AND EXISTS (
        SELECT 1 FROM evaluation_evaluationrun r WHERE r.id = OLD.run_id AND r.status = 'published'
    ) THEN
        RAISE EXCEPTION 'the results of published evaluation run % cannot change', OLD.run_id;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER evaluation_officer_result_published BEFORE UPDATE OR DELETE ON evaluation_officerresult
    FOR EACH ROW EXECUTE FUNCTION grassroots_evaluation_published_result();
CREATE TRIGGER evaluation_unit_result_published BEFORE UPDATE OR DELETE ON evaluation_unitresult
    FOR EACH ROW EXECUTE FUNCTION grassroots_evaluation_published_result();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS evaluation_unit_result_published ON evaluation_unitresult;
DROP TRIGGER IF EXISTS evaluation_officer_result_published ON evaluation_officerresult;
DROP TRIGGER IF EXISTS evaluation_run_published ON evaluation_evaluationrun;
DROP FUNCTION IF EXISTS grassroots_evaluation_published_result();
DROP FUNCTION IF EXISTS grassroots_evaluation_published_run();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
