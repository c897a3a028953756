"""Default message templates (zh-Hant and English) and the four lifecycle programmes."""

import uuid

from django.db import migrations

PROGRAMMES = [
    # key, days, promotional
    ("new_car_care", "30,60,90", False),
    ("birthday", "", True),
    ("purchase_anniversary", "", True),
    ("win_back", "182", True),
]


def forward(apps, schema_editor):
    from campaigns.messages import default_keys, default_text

    MessageTemplate = apps.get_model("campaigns", "MessageTemplate")
    Programme = apps.get_model("campaigns", "Programme")
    Notification = apps.get_model("campaigns", "Notification")
    for key, language in default_keys():
        subject, body = default_text(key, language)
        MessageTemplate.objects.get_or_create(
            key=key, language=language, defaults={"subject": subject, "body": body}
        )
    for key, days, promotional in PROGRAMMES:
        Programme.objects.get_or_create(key=key, defaults={"days": days, "promotional": promotional})
    # Rows written before retry keys existed shared the one default the column was added with.
    for pk in Notification.objects.values_list("pk", flat=True):
        Notification.objects.filter(pk=pk).update(retry_key=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_outbox_templates_campaigns_programmes")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
