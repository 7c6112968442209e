"""Settings for the gunicorn that `manage.py bench_http` starts (issue 14): the project's settings
with the bench's URLs (`brm.bench_urls`: the project's URLs plus the bare floors). Nothing but that
command names this module (`DJANGO_SETTINGS_MODULE=brm.settings_bench` in the server's
environment), so the floors are never reachable where `brm.settings` is used: in production, in
`make run`, in the tests.
"""

from __future__ import annotations

from brm.settings import *  # noqa: F403  every setting as in production, but the one below

ROOT_URLCONF = "brm.bench_urls"
