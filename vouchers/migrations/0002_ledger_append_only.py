"""On PostgreSQL the ledger refuses UPDATE and DELETE at the database, not only in Python."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION vouchers_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'vouchers_ledgerentry is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER vouchers_ledger_append_only
    BEFORE UPDATE OR DELETE ON vouchers_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION vouchers_ledger_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS vouchers_ledger_append_only ON vouchers_ledgerentry;
DROP FUNCTION IF EXISTS vouchers_ledger_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: sent as is, so psycopg leaves the `%` of RAISE (PL/pgSQL's placeholder) alone.
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("vouchers", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
