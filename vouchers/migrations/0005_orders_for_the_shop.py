"""Orders become what the shop sells: a number, channel, dealer, item and quantity, payment times;
`approved` becomes `issued`. Vouchers keep the amount paid for them."""

import django.db.models.deletion
from django.db import migrations, models


def approved_to_issued(apps, schema_editor):
    apps.get_model("vouchers", "Order").objects.filter(status="approved").update(status="issued")


def issued_to_approved(apps, schema_editor):
    apps.get_model("vouchers", "Order").objects.filter(status="issued").update(status="approved")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("vouchers", "0004_invariants"),
    ]

    operations = [
        migrations.RenameField("order", "approved_at", "issued_at"),
        migrations.RunPython(approved_to_issued, issued_to_approved, elidable=True),
    ]
