"""The errors business rules raise, shared by every app.

Services and workflows raise these; the API's exception handler (brm/api.py) turns them into
400/403/409 answers, and HTML views show their message next to the form or as a flash.
"""

from __future__ import annotations


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


# Catch these together where a page shows the error: `except RULE_ERRORS as exc`.
RULE_ERRORS = (InputError, StateConflict)


def http_status(exc: Exception) -> int:
    """The status a page or the API answers a business-rule error with."""
    if isinstance(exc, InputError):
        return 400
    return 403 if isinstance(exc, ForbiddenAction) else 409
