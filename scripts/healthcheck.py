"""Container health check: GET a probe path on the local gunicorn and expect 200.

`python scripts/healthcheck.py` probes /healthz (liveness: the web process answers; what the web
container's health check uses, since the site works without the broker). `... /readyz` probes
readiness (database, broker, worker heartbeat), e.g. for a deploy script that waits until the
whole application is ready.

Django answers 400 to a Host it does not allow and redirects plain HTTP when SECURE_SSL_REDIRECT
is on, so the probe sends the first ALLOWED_HOSTS entry as Host and, behind a TLS proxy, the
X-Forwarded-Proto header the proxy would add. Exit 0 when healthy, 1 otherwise.
"""

from __future__ import annotations

import http.client
import os
import sys


def main(path: str = "/healthz") -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
    headers = {"Host": host}
    if os.environ.get("BEHIND_TLS_PROXY", "").strip().lower() in {"1", "true", "yes", "on"}:
        headers["X-Forwarded-Proto"] = "https"
    port = int(os.environ.get("PORT", "8000"))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read(100)
    except OSError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    if response.status != 200:
        print(f"healthcheck: HTTP {response.status} {body!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
