from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Owner portal")

    def ready(self):
        from . import jobs, receivers  # noqa: F401  (connects the receivers)
        from .line_login import checks  # noqa: F401  (registers the start-up checks)

        jobs.register()
