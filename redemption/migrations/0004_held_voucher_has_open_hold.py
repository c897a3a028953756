"""On PostgreSQL: a voucher that is "held" has its open hold (a redemption in status "held").

The two rows change in one transaction (start: voucher then redemption; complete or cancel: both),
so the check is a constraint trigger deferred to commit, when both writes are in. It fires only on
the rows that matter: a voucher becoming or staying held, and a redemption leaving "held". The other
direction is not an invariant: a held first-owner voucher is voided when the car changes owner and
its hold stays open until the advisor cancels it or it times out.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION redemption_held_voucher_has_open_hold() RETURNS trigger AS $$
DECLARE
    vid bigint;
BEGIN
    IF TG_TABLE_NAME = 'vouchers_voucher' THEN
        vid := NEW.id;
    ELSE
        vid := NEW.voucher_id;
    END IF;
    IF EXISTS (SELECT 1 FROM vouchers_voucher v WHERE v.id = vid AND v.status = 'held')
       AND NOT EXISTS (
           SELECT 1 FROM redemption_redemption r WHERE r.voucher_id = vid AND r.status = 'held'
       ) THEN
        RAISE EXCEPTION 'voucher % is held without an open hold', vid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'held_voucher_has_open_hold';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER held_voucher_has_open_hold
    AFTER INSERT OR UPDATE OF status ON vouchers_voucher
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.status = 'held')
    EXECUTE FUNCTION redemption_held_voucher_has_open_hold();

CREATE CONSTRAINT TRIGGER open_hold_closed_with_its_voucher
    AFTER UPDATE OF status ON redemption_redemption
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status = 'held' AND NEW.status <> 'held')
    EXECUTE FUNCTION redemption_held_voucher_has_open_hold();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS open_hold_closed_with_its_voucher ON redemption_redemption;
DROP TRIGGER IF EXISTS held_voucher_has_open_hold ON vouchers_voucher;
DROP FUNCTION IF EXISTS redemption_held_voucher_has_open_hold();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: sent as is, so psycopg leaves the `%` of RAISE (PL/pgSQL's placeholder) alone.
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("redemption", "0003_webhook_endpoint_idempotency"), ("vouchers", "0004_invariants")]
    operations = [migrations.RunPython(forward, backward)]
