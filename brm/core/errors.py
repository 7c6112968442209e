"""The errors business rules raise, shared by every app.

Services and workflows raise these; the API's exception handler (brm/core/api.py) turns them
into 400/403/409/412 answers, and HTML views show their message next to the form or as a flash.
"""

from __future__ import annotations

from django.utils.translation import gettext


class StateConflict(Exception):
    """The record is not in a state that allows this change (API: 409)."""


class ForbiddenAction(StateConflict):
    """The actor's role may not make this change at all (API and pages: 403)."""


class InputError(ValueError):
    """A bad field value (API: 400 with the message under `field`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class StaleVersion(StateConflict):
    """Someone saved the record after the caller read it (API: 412 Precondition Failed).

    Raised by `brm.core.models.VersionedModel.save` when its conditional UPDATE
    (`... WHERE pk = %s AND version = %s`) matches no row, and by the API when `If-Match` names
    an older version. `expected` is the version the caller read, `current` the stored one
    (None when the record is gone).
    """

    def __init__(self, label: str, pk: object, expected: int, current: int | None) -> None:
        if current is None:
            message = gettext("This %(label)s was deleted after you opened it.") % {"label": label}
        else:
            message = gettext(
                "Someone else saved this %(label)s after you read it (you had version "
                "%(expected)s, it is now version %(current)s). Read it again and re-apply your "
                "change."
            ) % {"label": label, "expected": expected, "current": current}
        super().__init__(message)
        self.label = label
        self.pk = pk
        self.expected = expected
        self.current = current


# Catch these together where a page shows the error: `except RULE_ERRORS as exc`.
RULE_ERRORS = (InputError, StateConflict)


def http_status(exc: Exception) -> int:
    """The status a page or the API answers a business-rule error with."""
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, StaleVersion):
        return 412
    return 403 if isinstance(exc, ForbiddenAction) else 409
