"""What an event earns under Operations' earn rules: a pure assessment (no writes).

A purchase earns the spend rules' points for every step of NT$ and any campaign bonus; a visit earns
the visit rules' points; in the member's birthday month the earned points (not the bonus) are
multiplied by the highest active birthday multiplier.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from .models import EarnRule

Kind = EarnRule.Kind


@dataclass(frozen=True)
class Earning:
    points: int
    base: int = 0
    bonus: int = 0
    multiplier_percent: int = 100
    rules: list[int] = field(default_factory=list)

    def as_data(self) -> dict:
        return {
            "base": self.base,
            "bonus": self.bonus,
            "multiplier_percent": self.multiplier_percent,
            "rules": self.rules,
        }


def rules_in_force(on: date) -> list[EarnRule]:
    return list(
        EarnRule.objects.filter(active=True)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=on))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("pk")
    )


def earn_assess(
    *, on: date, birthday: date | None, amount_twd: int = 0, visit: bool = False, rules=None
) -> Earning:
    rules = rules_in_force(on) if rules is None else rules
    used: list[int] = []
    base = bonus = 0
    for rule in rules:
        if rule.kind == Kind.SPEND and amount_twd > 0:
            base += amount_twd // rule.per_twd * rule.points
            used.append(rule.pk)
        elif rule.kind == Kind.BONUS and amount_twd > 0:
            bonus += rule.points
            used.append(rule.pk)
        elif rule.kind == Kind.VISIT and visit:
            base += rule.points
            used.append(rule.pk)
    multiplier = 100
    if birthday is not None and birthday.month == on.month and base:
        birthday_rules = [r for r in rules if r.kind == Kind.BIRTHDAY]
        if birthday_rules:
            best = max(birthday_rules, key=lambda r: r.multiplier_percent)
            multiplier = best.multiplier_percent
            used.append(best.pk)
    return Earning(
        points=base * multiplier // 100 + bonus,
        base=base,
        bonus=bonus,
        multiplier_percent=multiplier,
        rules=sorted(used),
    )
