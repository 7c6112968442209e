"""The Celery app. Tasks use Django's `DjangoTask` so `task.delay_on_commit()` is available."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init

from brm.checks import refuse_published_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brm.settings")

app = Celery("brm", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_published_key(**kwargs: object) -> None:
    refuse_published_secret_key()
