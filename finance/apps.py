from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from campaigns.demo.extensions import register_demo_seeder

        from .demo import seed_finance_demo

        # The demo data set (seed_demo, the admin-language test) gets statements and rates too.
        register_demo_seeder(seed_finance_demo)
