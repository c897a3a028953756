"""How a voucher looks to an owner: one presenter for the portal wallet, the counter and the
back-office wizard's live preview, so all three show exactly the same card."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from .models import Voucher, VoucherDefinition
from .selectors import voucher_labels

Status = Voucher.Status

# Top-right badge per stored state; usable states show none.
_STATE_BADGES = {
    Status.USED: ("used", gettext_lazy("Used")),
    Status.EXPIRED: ("expired", gettext_lazy("Expired")),
    Status.HELD: ("held", gettext_lazy("Held")),
    Status.LOCKED: ("locked", gettext_lazy("Locked")),
    Status.VOIDED: ("voided", gettext_lazy("Voided")),
    Status.REFUNDED: ("refunded", gettext_lazy("Refunded")),
    Status.INACTIVE: ("inactive", gettext_lazy("Not activated")),
}


@dataclass
class Card:
    title: str
    subtitle: str
    colour: str
    image_url: str
    category: str
    uses: str
    validity: str
    notice: str
    usage_rules: str
    left_badge: tuple[str, str] | None = None
    right_badge: tuple[str, str] | None = None
    tags: list[str] = field(default_factory=list)
    muted: bool = False
    # Text colour on the left area: white or near-black, whichever reads better on `colour`.
    ink: str = "#ffffff"


DARK_INK = "#000000"  # pure black: with white, guarantees >= 4.5:1 on any background
LIGHT_INK = "#ffffff"


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of #RRGGBB (an unreadable value counts as black)."""
    try:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except (ValueError, TypeError):
        return 0.0
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_ink(background: str) -> str:
    """White or near-black text, whichever contrasts more with `background` (operations pick colours)."""
    if contrast_ratio(background, LIGHT_INK) >= contrast_ratio(background, DARK_INK):
        return LIGHT_INK
    return DARK_INK


def _date(moment: datetime | None) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d") if moment else ""


def _validity_text(voucher: Voucher, date=_date) -> str:
    if voucher.valid_until is None and voucher.valid_from is None:
        if voucher.definition.validity_policy == VoucherDefinition.ValidityPolicy.DAYS_FROM_ACTIVATION:
            return _("Valid for %(days)s days after activation") % {"days": voucher.definition.validity_days}
        return _("No expiry")
    if voucher.valid_until is None:
        return _("No expiry")
    return _("%(start)s – %(end)s") % {"start": date(voucher.valid_from), "end": date(voucher.valid_until)}


def list_text(names) -> str:
    """Names joined the way the language lists them ("A, B"; zh-Hant "A、B")."""
    return pgettext("list separator", ", ").join(names)


def _tags(definition: VoucherDefinition) -> list[str]:
    if not definition.show_restriction_tags:
        return []
    tags = []
    models = list(definition.allowed_models.all())
    if models:
        tags.append(_("Only %(models)s") % {"models": list_text(m.name for m in models)})
    dealers = list(definition.allowed_dealers.all())
    if dealers:
        tags.append(_("Only at %(dealers)s") % {"dealers": list_text(d.name for d in dealers)})
    if definition.cities_list:
        tags.append(_("Only in %(cities)s") % {"cities": list_text(definition.cities_list)})
    if definition.holder_type == VoucherDefinition.HolderType.MEMBER_VEHICLE:
        tags.append(_("First owner only"))
    if definition.holder_has_owned:
        tags.append(_("Repurchase benefit"))
    return tags


@dataclass(frozen=True)
class _Face:
    """What a card takes from its definition alone."""

    title: str
    subtitle: str
    colour: str
    image_url: str
    category: str
    notice: str
    usage_rules: str
    tags: tuple[str, ...]
    ink: str


def _face(definition: VoucherDefinition) -> _Face:
    return _Face(
        title=definition.title,
        subtitle=definition.card_subtitle,
        colour=definition.card_colour,
        image_url=definition.card_image.url if definition.card_image else "",
        category=definition.get_category_display(),
        notice=definition.notice,
        usage_rules=definition.usage_rules,
        tags=tuple(_tags(definition)),
        ink=readable_ink(definition.card_colour),
    )


class CardMaker:
    """Cards of many vouchers (a wallet, the counter's vehicle page): what depends only on a
    definition (texts, tags, ink) or on a date is worked out once per maker, not once per voucher.
    Make one per page; a definition changed afterwards needs a new maker. Vouchers that would get
    equal cards (a pack, a bulk issue) get the same Card instance: read-only, like the page."""

    def __init__(self, *, now: datetime | None = None):
        self.now = now or timezone.now()
        self._faces: dict[int, tuple[VoucherDefinition, _Face]] = {}
        self._dates: dict[datetime, str] = {}
        self._cards: dict[tuple, Card] = {}

    def _date(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        text = self._dates.get(moment)
        if text is None:
            text = self._dates[moment] = _date(moment)
        return text

    def card(self, voucher: Voucher) -> Card:
        now = self.now
        definition = voucher.definition
        # Keyed by instance (the wizard's preview shows an unsaved definition, without a pk); the
        # instance is kept with its face, so a reused id() of a freed instance never matches.
        known = self._faces.get(id(definition))
        if known is not None and known[0] is definition:
            face = known[1]
        else:
            face = _face(definition)
            self._faces[id(definition)] = (definition, face)
        labels = voucher_labels(voucher, now=now)
        # Everything the card below reads from the voucher (the face is keyed by the definition).
        key = (
            id(definition),
            voucher.status,
            voucher.uses_left,
            voucher.uses_total,
            voucher.valid_from,
            voucher.valid_until,
            labels.new,
            labels.expiring_soon,
            labels.not_yet_valid,
        )
        card = self._cards.get(key)
        if card is None:
            card = self._cards[key] = self._card(voucher, face, labels)
        return card

    def _card(self, voucher: Voucher, face: _Face, labels) -> Card:
        now, definition = self.now, voucher.definition
        left = None
        if labels.expiring_soon and definition.show_expiring_badge:
            left = ("expiring", _("Expiring soon"))
        elif labels.new and definition.show_new_badge:
            left = ("new", _("New"))
        elif labels.not_yet_valid:
            left = ("upcoming", _("Not yet valid"))
        right = _STATE_BADGES.get(voucher.status)
        # Past its end but not yet swept by the nightly job: already unusable, so show it as expired.
        past_end = (
            voucher.status in (Status.ACTIVE, Status.INACTIVE)
            and voucher.valid_until is not None
            and now > voucher.valid_until
        )
        if past_end:
            left, right = None, _STATE_BADGES[Status.EXPIRED]
        return Card(
            title=face.title,
            subtitle=face.subtitle,
            colour=face.colour,
            image_url=face.image_url,
            category=face.category,
            uses=f"{voucher.uses_left} / {voucher.uses_total}",
            validity=_validity_text(voucher, date=self._date),
            notice=face.notice,
            usage_rules=face.usage_rules,
            left_badge=left,
            right_badge=right,
            tags=list(face.tags),
            muted=past_end or voucher.status in (Status.USED, Status.EXPIRED, Status.VOIDED, Status.REFUNDED),
            ink=face.ink,
        )


def voucher_card(voucher: Voucher, *, now: datetime | None = None) -> Card:
    return CardMaker(now=now).card(voucher)


def definition_validity_text(definition: VoucherDefinition) -> str:
    """How long a voucher of `definition` will be valid, said before one is issued (claim centre)."""
    policy = definition.validity_policy
    Policy = VoucherDefinition.ValidityPolicy
    if policy == Policy.FIXED and definition.valid_until_date:
        end = formats.date_format(definition.valid_until_date, "Y-m-d")
        if definition.valid_from_date:
            start = formats.date_format(definition.valid_from_date, "Y-m-d")
            return _("%(start)s – %(end)s") % {"start": start, "end": end}
        return _("Valid until %(end)s") % {"end": end}
    if policy == Policy.DAYS_FROM_ISSUE:
        return _("Valid for %(days)s days after issue") % {"days": definition.validity_days}
    if policy == Policy.DAYS_FROM_ACTIVATION:
        return _("Valid for %(days)s days after activation") % {"days": definition.validity_days}
    if policy == Policy.DELIVERY_WINDOW:
        return _("Valid for %(months)s months, from %(offset)s months after the vehicle's delivery") % {
            "months": definition.delivery_window_months,
            "offset": definition.delivery_offset_months,
        }
    return _("No expiry")


def definition_card_preview(definition: VoucherDefinition, *, now: datetime | None = None) -> Card:
    """The card an owner would see for a voucher just issued from `definition` (for the wizard).

    Works on an unsaved definition too: restrictions come from saved many-to-many rows only.
    """
    now = now or timezone.now()
    sample = Voucher(
        definition=definition,
        status=Status.ACTIVE,
        uses_total=definition.uses_per_voucher or 1,
        uses_left=definition.uses_per_voucher or 1,
        issued_at=now,
        valid_from=now,
        valid_until=None
        if definition.validity_policy == VoucherDefinition.ValidityPolicy.NO_EXPIRY
        else now + timedelta(days=definition.validity_days or 30),
    )
    card = voucher_card(sample, now=now)
    if definition.pk is None:
        card.tags = []
    return card
