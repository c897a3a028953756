"""Row locks of the portal app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from .models import LoginCode


def open_login_code_for_update(phone: str) -> LoginCode | None:
    """Lock the open sign-in code of this number, if there is one (at most one is open)."""
    return (
        LoginCode.objects.select_for_update(no_key=True, of=("self",))
        .filter(phone=phone, closed_at__isnull=True)
        .first()
    )
