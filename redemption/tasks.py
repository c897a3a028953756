"""Tasks of the redemption app (django-q2)."""

from .models import Redemption
from .signals import redemption_committed


def redemption_followups(redemption_id: int) -> int:
    """Tell every listener that the redemption committed. Each runs even when another fails; then
    the task fails with the first error, so the worker retries it (the listeners are idempotent)."""
    answers = redemption_committed.send_robust(Redemption, redemption_id=redemption_id)
    failures = [answer for _receiver, answer in answers if isinstance(answer, Exception)]
    if failures:
        raise failures[0]
    return len(answers)
