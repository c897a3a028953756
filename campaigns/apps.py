from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns and reminders")

    def ready(self) -> None:
        from . import cluster_stop, counter, receivers  # noqa: F401  (vehicle events issue event-triggered vouchers)

        cluster_stop.install()  # manage.py qcluster stops on SIGTERM even after a worker was killed
        counter.register()  # the last satisfaction score in the counter's owner panel
