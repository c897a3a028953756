from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _offers_seed(*, now) -> None:
    """The demo's offers in reminders and follow-up rules (imported only when the demo is seeded)."""
    from .demo.offers import offers_seed

    offers_seed(now=now)


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns and reminders")

    def ready(self) -> None:
        from . import cluster_stop, counter, receivers  # noqa: F401  (vehicle events issue event-triggered vouchers)
        from .demo.extensions import register_demo_seeder

        register_demo_seeder(_offers_seed)
        cluster_stop.install()  # manage.py qcluster stops on SIGTERM even after a worker was killed
        counter.register()  # the last satisfaction score in the counter's owner panel
