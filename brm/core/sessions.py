"""The session engine (`SESSION_ENGINE`): Django's database sessions, with the session read on
every signed-in request replayed instead of built anew (issue 14).

Django builds and compiles `Session.objects.get(session_key=..., expire_date__gt=now)` on each
request; here it is compiled once per process and run with the key and the time as values
(`brm.core.statements.instances`). Still one query that reads the row as it is now: a session
signed out, expired or cycled elsewhere is gone at once, in every worker.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.utils import timezone

from brm.core import statements


def _live_session(session_key: str, now: datetime) -> QuerySet[Session]:
    """The session row with `session_key` not yet expired at `now` (none or one)."""
    return Session.objects.filter(session_key=session_key, expire_date__gt=now)[:1]


class SessionStore(db.SessionStore):
    """Django's database `SessionStore`; its read goes through a replayed statement."""

    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if self.model is not Session or not isinstance(key, str):
            return super()._get_session_from_db()  # type: ignore[misc]  # not in the stubs
        try:
            found = statements.instances(
                "sessions.live_session", _live_session, session_key=key, now=timezone.now()
            )
        except SuspiciousOperation as e:  # as Django's own read: logged, and no session
            logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            found = []
        if found:
            return found[0]
        self._session_key = None
        return None
