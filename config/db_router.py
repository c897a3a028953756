"""Report reads go to the read replica when DATABASE_REPLICA_URL configures one.

Only the summary tables of the apps in REPORTS_REPLICA_APPS (reports; finance may add its own) are
read there (a page reads nothing else heavy); every write, every migration and every other read stays
on the primary. A replica lags the primary by a moment;
the summary tables change once a night, so the lag never shows.
"""

from django.conf import settings

REPLICA = "replica"


def replica_alias() -> str:
    """Where report reads go: settings.REPORTS_DATABASE, "replica" when DATABASE_REPLICA_URL is set."""
    return getattr(settings, "REPORTS_DATABASE", "default")


class ReportReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in settings.REPORTS_REPLICA_APPS:
            return replica_alias()
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
