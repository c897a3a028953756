from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Loyalty: points and tiers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import counter, receivers  # noqa: F401  (purchases, visits and redemptions earn points)

        counter.register()  # tier and points in the counter's owner panel
