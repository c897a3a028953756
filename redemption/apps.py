from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RedemptionConfig(AppConfig):
    name = "redemption"
    verbose_name = _("Redemption")

    def ready(self) -> None:
        from . import (
            api_keys,  # noqa: F401  (a changed key is forgotten by the cache)
            owner_panel_core,
        )
        from .webhooks import receivers  # noqa: F401  (voucher events go out to partners' webhooks)

        owner_panel_core.register()  # open requests and contact preferences in the owner panel
