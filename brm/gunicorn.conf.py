"""Gunicorn settings for the web container (`gunicorn -c brm/gunicorn.conf.py brm.wsgi`).

Restarts lose no request: on SIGTERM (docker's stop signal) the master stops listening, each
worker finishes the request in hand and then serves the connections already queued in the listen
backlog (`brm.gunicorn_worker.DrainingSyncWorker`) before exiting, all within `graceful_timeout`.
docker-compose.yml gives the container longer than that (`stop_grace_period`) before SIGKILL.
For a restart without any refused connection, run two replicas behind the proxy and restart them
one at a time (README, "Zero-downtime deploys").

Every value can be overridden from the environment (GUNICORN_CMD_ARGS, or the variables below).
"""

from __future__ import annotations

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Sync workers: each request holds one process; 2-4 per core is the usual rule.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "brm.gunicorn_worker.DrainingSyncWorker"
# A request running longer than this is killed (its worker restarted). Web requests never wait
# on the broker (about 1 s at most), so only a genuinely stuck request reaches it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# SIGTERM -> seconds for in-flight and queued requests to finish before workers are killed.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Connections the kernel queues while every worker is busy (served, not dropped, on restart).
backlog = 2048
# Recycle workers now and then (memory growth); jitter so they do not all restart together.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# The TLS proxy in front sets X-Forwarded-*; trust it only when told it is there.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
