"""Message templates operations edit: validated on save; defaults restored by a command."""

from django.db import transaction

from ..messages import default_keys, default_text, template_check
from ..models import MessageTemplate


def message_template_save(
    *, template: MessageTemplate, subject: str, body: str, actor=None
) -> MessageTemplate:
    """Save an edited template. Raises MessageTemplateError when it does not compile."""
    template_check(subject)
    template_check(body)
    with transaction.atomic():
        template.subject = subject.strip()
        template.body = body.strip()
        template.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        template.save()
    return template


def message_templates_seed(*, reset: bool = False) -> tuple[int, int]:
    """Create every missing default (and with `reset`, overwrite edited ones). Returns (created, reset)."""
    created = restored = 0
    with transaction.atomic():
        for key, language in default_keys():
            subject, body = default_text(key, language)
            row, was_created = MessageTemplate.objects.get_or_create(
                key=key, language=language, defaults={"subject": subject, "body": body}
            )
            created += was_created
            if reset and not was_created and (row.subject, row.body) != (subject, body):
                row.subject, row.body = subject, body
                row.save(update_fields=["subject", "body", "updated_at"])
                restored += 1
    return created, restored
