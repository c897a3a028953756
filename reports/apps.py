from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # Each report module registers itself; a higher app (finance) registers its own the same way.
        from . import definitions  # noqa: F401
