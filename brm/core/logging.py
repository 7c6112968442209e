"""Logging filters for the console (issue 15: every 403 printed a full traceback)."""

from __future__ import annotations

import logging


class OneLineClientErrors(logging.Filter):
    """A 4xx logged by `django.request` (PermissionDenied, Http404, a bad request) is the
    client's doing, not a fault: keep its one line ("Forbidden (Permission denied): /x") and
    drop the traceback Django attaches. 5xx keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
