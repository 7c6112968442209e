"""A WSGI app whose every request takes 0.3 s: enough to queue requests behind one worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    time.sleep(0.3)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done"]
