"""Fill Redemption.api_key for redemptions partners made before the column existed.

Until then the key was recorded only as the label `api:<key name>`; key names are unique and were
never changed, so the label names exactly one key. Labels that name no key stay without one.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    ApiKey = apps.get_model("redemption", "ApiKey")
    Redemption = apps.get_model("redemption", "Redemption")
    for key_id, name in ApiKey.objects.values_list("pk", "name"):
        Redemption.objects.filter(api_key__isnull=True, actor_label=f"api:{name}").update(api_key_id=key_id)


class Migration(migrations.Migration):
    dependencies = [("redemption", "0007_redemption_api_key")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
