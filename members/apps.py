from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and dealers")

    def ready(self) -> None:
        # The lowest app: the database's loaders are set before any app reads.
        from django.db.backends.signals import connection_created

        from config.db_loaders import timestamps_loaded_by_psycopg

        connection_created.connect(timestamps_loaded_by_psycopg, dispatch_uid="timestamps_loaded_by_psycopg")
