# The production image: one image for the web server (gunicorn), the Celery worker and Celery beat.
# See docker-compose.yml for how the three are run and configured.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    BRM_VAR_DIR=/app/var

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. pyproject.toml has `packages = []`:
# installing the project pulls in its dependencies only (all wheels, nothing compiles).
COPY pyproject.toml README.md ./
RUN pip install . && rm -rf build ./*.egg-info

# The code stays owned by root (read-only for the app); only var/ (static files, beat schedule,
# attachments) is writable by the unprivileged user the processes run as. var/attachments exists
# in the image so the volume mounted there starts owned by that user.
COPY . .
RUN useradd --system --user-group --home-dir /app --no-create-home brm \
    && mkdir -p /app/var/attachments \
    && chown -R brm:brm /app/var
USER brm

EXPOSE 8000
# docker-compose.yml overrides this per service; the default is the web server.
# (brm/gunicorn.conf.py: 3 draining sync workers, 30 s graceful timeout on SIGTERM.)
STOPSIGNAL SIGTERM
CMD ["gunicorn", "-c", "brm/gunicorn.conf.py", "brm.wsgi:application"]
