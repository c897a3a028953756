"""Django's database sessions, with the session's read compiled once per process.

Every signed-in request (the counter, the back office, the portal) starts by reading its session
row. Django builds and compiles that `get()` anew each time, which cost the counter's redeem POST
and vehicle page more CPU than the database spends answering it (issue 15). Here the same query is
compiled once (`config.compiled_query`) and run with each request's key and clock; what is read,
when a session counts as expired and what happens to an unknown key are Django's. (On SQLite the
clock is passed as text Django writes from it, a derived parameter: there it compiles every time.)

Select it with `SESSION_ENGINE = "config.sessions"`.
"""

import logging

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from .compiled_query import compiled_queryset


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        model = self.model

        def live_session(session_key, now):
            return model.objects.filter(session_key=session_key, expire_date__gt=now)[:1]

        try:
            rows = list(
                compiled_queryset(
                    ("session", model), live_session, session_key=self.session_key, now=timezone.now()
                )
            )
        except SuspiciousOperation as error:
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            rows = []
        if rows:
            return rows[0]
        self._session_key = None
        return None
