"""An approved settlement statement and its lines never change, at the database, on both engines.

A CHECK constraint cannot compare a row with its former self, so triggers do it: every UPDATE of
an approved or exported statement is refused unless it only marks an approved one exported, every
DELETE of one is refused, and no line of one can be added, changed or removed. The service
refuses first with a readable message; the triggers hold for any other code (QuerySet.update,
raw SQL, the shell)."""

from django.db import migrations

SAME = [
    "dealer_id",
    "month",
    "number",
    "total_twd",
    "owed_to_dealer_twd",
    "owed_by_dealer_twd",
    "drafted_at",
    "approved_at",
    "approved_by_id",
]


def _same(op: str) -> str:
    return " AND ".join(f"NEW.{c} {op} OLD.{c}" for c in SAME)


PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION finance_statement_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND {_same("IS NOT DISTINCT FROM")} AND (
        (NEW.status = OLD.status AND NEW.exported_at IS NOT DISTINCT FROM OLD.exported_at)
        OR (OLD.status = 'approved' AND NEW.status = 'exported')
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'settlement statement % is approved and never changes (% refused)', OLD.number, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER finance_statement_frozen
    BEFORE UPDATE OR DELETE ON finance_settlementstatement
    FOR EACH ROW EXECUTE FUNCTION finance_statement_frozen();

CREATE OR REPLACE FUNCTION finance_statement_line_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM finance_settlementstatement WHERE id = OLD.statement_id AND status <> 'draft'
    ) THEN
        RAISE EXCEPTION 'lines of an approved settlement statement never change (% refused)', TG_OP;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS (
        SELECT 1 FROM finance_settlementstatement WHERE id = NEW.statement_id AND status <> 'draft'
    ) THEN
        RAISE EXCEPTION 'lines of an approved settlement statement never change (% refused)', TG_OP;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER finance_statement_line_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON finance_settlementline
    FOR EACH ROW EXECUTE FUNCTION finance_statement_line_frozen();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS finance_statement_line_frozen ON finance_settlementline;
DROP FUNCTION IF EXISTS finance_statement_line_frozen();
DROP TRIGGER IF EXISTS finance_statement_frozen ON finance_settlementstatement;
DROP FUNCTION IF EXISTS finance_statement_frozen();
"""

_LINE_OF = "(SELECT status FROM finance_settlementstatement WHERE id = {}.statement_id) <> 'draft'"
SQLITE_FORWARD = [
    f"""CREATE TRIGGER finance_statement_frozen_update BEFORE UPDATE ON finance_settlementstatement
    WHEN OLD.status <> 'draft' AND NOT ({_same("IS")} AND (
        (NEW.status = OLD.status AND NEW.exported_at IS OLD.exported_at)
        OR (OLD.status = 'approved' AND NEW.status = 'exported')))
    BEGIN SELECT RAISE(ABORT, 'settlement statement is approved and never changes'); END""",
    """CREATE TRIGGER finance_statement_frozen_delete BEFORE DELETE ON finance_settlementstatement
    WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'settlement statement is approved and never changes'); END""",
    f"""CREATE TRIGGER finance_line_frozen_insert BEFORE INSERT ON finance_settlementline
    WHEN {_LINE_OF.format("NEW")}
    BEGIN SELECT RAISE(ABORT, 'lines of an approved settlement statement never change'); END""",
    f"""CREATE TRIGGER finance_line_frozen_update BEFORE UPDATE ON finance_settlementline
    WHEN {_LINE_OF.format("OLD")} OR {_LINE_OF.format("NEW")}
    BEGIN SELECT RAISE(ABORT, 'lines of an approved settlement statement never change'); END""",
    f"""CREATE TRIGGER finance_line_frozen_delete BEFORE DELETE ON finance_settlementline
    WHEN {_LINE_OF.format("OLD")}
    BEGIN SELECT RAISE(ABORT, 'lines of an approved settlement statement never change'); END""",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "finance_statement_frozen_update",
        "finance_statement_frozen_delete",
        "finance_line_frozen_insert",
        "finance_line_frozen_update",
        "finance_line_frozen_delete",
    )
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: sent as is, so psycopg leaves the `%` of RAISE (PL/pgSQL's placeholder) alone.
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
