"""Tasks of the redemption app (django-q2)."""

from .models import Redemption
from .signals import redemption_committed


def redemption_followups(
    redemption_id: int | None = None, *, voucher_id: int | None = None, idempotency_key: str | None = None
) -> int:
    """Tell every listener that the redemption committed. Each runs even when another fails; then
    the task fails with the first error, so the worker retries it (the listeners are idempotent).

    The redemption is named by its id, or by its voucher and idempotency key (unique together):
    a redeem queues the task in the statement that writes the redemption, before its id exists."""
    if redemption_id is None:
        redemption_id = (
            Redemption.objects.filter(voucher_id=voucher_id, idempotency_key=idempotency_key)
            .values_list("pk", flat=True)
            .first()
        )
        if redemption_id is None:
            raise Redemption.DoesNotExist(
                f"no redemption of voucher {voucher_id} with key {idempotency_key!r}"
            )
    answers = redemption_committed.send_robust(Redemption, redemption_id=redemption_id)
    failures = [answer for _receiver, answer in answers if isinstance(answer, Exception)]
    if failures:
        raise failures[0]
    return len(answers)
