from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RedemptionConfig(AppConfig):
    name = "redemption"
    verbose_name = _("Redemption")

    def ready(self) -> None:
        from . import admin_api  # noqa: F401  (API keys and webhooks in the admin, for revocation)
        from .webhooks import receivers  # noqa: F401  (voucher events go out to partners' webhooks)
