"""One live endpoint per URL and API key.

Before this, a retried registration without an Idempotency-Key could register a URL twice; those
later duplicates are switched off (the oldest stays live, delivery logs stay) so the constraint can
be added.
"""

from django.db import migrations, models


def deactivate_duplicates(apps, schema_editor):
    WebhookEndpoint = apps.get_model("redemption", "WebhookEndpoint")
    seen = set()
    for endpoint in WebhookEndpoint.objects.filter(is_active=True).order_by("pk").only("pk", "api_key_id", "url"):
        key = (endpoint.api_key_id, endpoint.url)
        if key in seen:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [
        ("redemption", "0004_held_voucher_has_open_hold"),
    ]

    operations = [
        migrations.RunPython(deactivate_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="webhookendpoint",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True)),
                fields=("api_key", "url"),
                name="one_active_webhook_endpoint_per_url",
            ),
        ),
    ]
