from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brm.settings")
application = get_wsgi_application()

from brm.checks import refuse_published_secret_key  # noqa: E402  (needs settings loaded)

refuse_published_secret_key()
