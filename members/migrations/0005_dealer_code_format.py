"""Dealer codes get a format (members/dealer_codes.py) backed by the check constraint
`dealer_code_format`.

Existing codes are brought to the format first: full-width to ASCII, trimmed, upper case, and runs
of spaces, underscores, dots or slashes become one hyphen ("tpe 01" → "TPE-01"). A code that still
does not fit, or that would then equal another dealer's code, stops the migration with a message
naming them, and nothing is changed: fix those codes in the back office and migrate again.
"""

import re
import unicodedata

from django.db import migrations, models

import members.dealer_codes

PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,10}[A-Z0-9]$"  # as in members/dealer_codes.py when this was written


def _normalised(code: str) -> str:
    text = unicodedata.normalize("NFKC", code or "").strip().upper()
    return re.sub(r"[\s_./]+", "-", text)


def normalise_dealer_codes(apps, schema_editor):
    Dealer = apps.get_model("members", "Dealer")
    rows = list(Dealer.objects.order_by("pk").values_list("pk", "code"))
    wanted = {pk: _normalised(code) for pk, code in rows}
    unfit = [code for pk, code in rows if not re.fullmatch(PATTERN, wanted[pk])]
    taken: dict[str, list[str]] = {}
    for pk, code in rows:
        taken.setdefault(wanted[pk], []).append(code)
    clashes = [codes for codes in taken.values() if len(codes) > 1]
    if unfit or clashes:
        raise RuntimeError(
            "Dealer codes must be 2 to 12 upper-case letters, digits or hyphens (e.g. TPE01). "
            f"These cannot be brought to that form: {unfit!r}; these would become the same code: "
            f"{clashes!r}. Change them in the back office (Dealers), then run migrate again."
        )
    for pk, code in rows:
        if wanted[pk] != code:
            Dealer.objects.filter(pk=pk).update(code=wanted[pk])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_ratelimit_bucket_last_hit_at"),
    ]

    operations = [
        migrations.RunPython(normalise_dealer_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="dealer",
            name="code",
            field=models.CharField(
                help_text="2 to 12 upper-case letters, digits or hyphens, e.g. TPE01.",
                max_length=20,
                unique=True,
                validators=[members.dealer_codes.validate_dealer_code],
                verbose_name="code",
            ),
        ),
        migrations.AddConstraint(
            model_name="dealer",
            constraint=models.CheckConstraint(
                condition=models.Q(("code__regex", PATTERN)), name="dealer_code_format"
            ),
        ),
    ]
