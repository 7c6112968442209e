# BRM: developer entry points. `make run` starts the app, `make test` runs every check CI runs.
# Recipes are echoed as they run; `make -n <target>` shows them without running.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RUFF   := $(VENV)/bin/ruff
MYPY   := $(VENV)/bin/mypy
CELERY := $(VENV)/bin/celery
# Rebuilt when pyproject.toml is newer, so dependency changes install themselves.
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000

# `make test` talks to real services (defaults match pyproject's pytest-env block); a developer may
# point DATABASE_URL / REDIS_URL elsewhere. `run` deliberately does not set them: with neither
# set, settings use SQLite under var/ and a filesystem Celery broker.
test: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/brm
test: export REDIS_URL ?= redis://127.0.0.1:6379/15
test: export SECRET_KEY := test-only-secret-key-not-for-production
test: export STATIC_STORAGE := plain
test-dates: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/brm
test-dates: export REDIS_URL ?= redis://127.0.0.1:6379/15
test-dates: export SECRET_KEY := test-only-secret-key-not-for-production
test-dates: export STATIC_STORAGE := plain
fuzz: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/brm
fuzz: export REDIS_URL ?= redis://127.0.0.1:6379/15
fuzz: export SECRET_KEY := test-only-secret-key-not-for-production
fuzz: export STATIC_STORAGE := plain
# pytest's addopts has --reuse-db; CI starts from a fresh database every time.
PYTEST_CI_ARGS := $(if $(filter true 1,$(CI)),--create-db)
PYTEST_ARGS ?=
# The suite runs on both cores: pytest-xdist workers, each with its own test database and Redis
# database (tests/xdist_env.py); a module's tests stay on one worker (shared module fixtures).
# Modules are handed out in collection order, the `slow` ones first (tests/conftest.py;
# --no-loadscope-reorder is in pytest's addopts), not in xdist's default order (most tests
# first), which left the long few-test modules to one worker at the very end.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter-out 0 1,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile)

# `make test-dates`: the non-browser suite once per instant below with the clock moved there
# (BRM_TEST_NOW, see tests/conftest.py), in London time so the summer-time changes are real:
# month ends (the second is 00:30 on 1 May in London but still 30 April in UTC), both DST change
# nights, a leap day and the year end. It runs every date and fails if any failed.
TEST_DATES_TZ ?= Europe/London
TEST_DATES ?= 2027-01-31T23:30 2027-04-30T23:30Z 2027-03-28T00:30 2027-10-31T01:30 \
	2028-02-29T12:00 2026-12-31T23:50

.PHONY: help venv run test test-dates fuzz lint format bench bench-web bench-http worker beat migrate seed messages clean

help:
	@echo "make run      start the app on http://localhost:$(PORT)/ with a Celery worker and beat"
	@echo "make test     lint, Django checks and the test suite (PostgreSQL, Redis, Chromium)"
	@echo "make test-dates  the non-browser suite at month ends, DST changes, a leap day, a year end"
	@echo "make fuzz     requests generated from the OpenAPI schema, many per operation (FUZZ_MAX_EXAMPLES)"
	@echo "make lint     ruff check + ruff format --check + mypy (strict, django-stubs)"
	@echo "make format   ruff format + ruff check --fix"
	@echo "make bench    health engine, dashboard and API timings and query counts at 50/500/2000 units,"
	@echo "             a 100,000-row stakeholder import (dry run, real run, again: time, CPU, memory;"
	@echo "             alone: .venv/bin/python manage.py bench_health --only import),"
	@echo "             then every page and API list per role against bare floors (var/bench/*.json),"
	@echo "             in process and over HTTP (gunicorn, 3 workers: throughput ratios, CPU per request)"
	@echo "make bench-web  the pages and API lists part alone (BENCH_WEB_ARGS, e.g. --size 500)"
	@echo "make bench-http the HTTP throughput part alone (BENCH_HTTP_ARGS, e.g. --seconds 2 --only API)"
	@echo "make messages the Spanish catalogue: new messages into locale/es/.../django.po, then its .mo"
	@echo "make migrate | seed | worker | beat | venv | clean"

venv: $(STAMP)

# (Re)create the venv when it is missing or its Python is too old, then install the dependencies
# from pyproject.toml (`packages = []`, so the editable install adds no code, only the deps).
$(STAMP): pyproject.toml
	@# uv (when installed) creates the venv and installs in seconds; pip is the fallback.
	@if ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		py="$$(scripts/find-python)" || exit 1; \
		if command -v uv >/dev/null 2>&1; then \
			rm -rf $(VENV); echo "uv venv --python $$py $(VENV)"; uv venv --quiet --python "$$py" $(VENV) || exit 1; \
		else \
			echo "$$py -m venv --clear $(VENV)"; "$$py" -m venv --clear $(VENV) || exit 1; \
		fi; \
	fi
	@if command -v uv >/dev/null 2>&1; then \
		echo "uv pip install --editable '.[dev]'"; \
		VIRTUAL_ENV=$(VENV) uv pip install --quiet --python $(PY) --editable '.[dev]'; \
	else \
		echo "$(PY) -m pip install --editable '.[dev]'"; \
		$(PY) -m pip install --disable-pip-version-check --quiet --editable '.[dev]'; \
	fi
	@touch $@

run: venv
	PORT=$(PORT) scripts/run-dev

test: venv
	scripts/ensure-services
	$(RUFF) check .
	$(RUFF) format --check .
	$(MYPY) .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	@# Exit code 5 means "no tests collected": a suite that ran nothing must not look green.
	$(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_CI_ARGS) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: FAILED, pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

test-dates: venv
	scripts/ensure-services
	@failed=""; \
	for when in $(TEST_DATES); do \
		echo "== BRM_TEST_NOW=$$when TIME_ZONE=$(TEST_DATES_TZ)"; \
		BRM_TEST_NOW=$$when TIME_ZONE=$(TEST_DATES_TZ) $(PY) -m pytest -q -m "not browser" \
			$(PYTEST_CI_ARGS) $(PYTEST_ARGS) || failed="$$failed $$when"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test-dates: FAILED at$$failed" >&2; exit 1; fi; \
	echo "make test-dates: passed at every date"

# `make fuzz`: tests/test_api_fuzz.py with many more generated requests per operation and mode
# than `make test` runs (2 there, as the BRM only), as a business leader and as a BRM; prints
# the case count and every 5xx or schema mismatch.
FUZZ_MAX_EXAMPLES ?= 60

fuzz: venv
	scripts/ensure-services
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_ROLES=leader,brm $(PY) -m pytest tests/test_api_fuzz.py -s -q $(PYTEST_CI_ARGS) $(PYTEST_ARGS)

lint: venv
	$(RUFF) check .
	$(RUFF) format --check .
	$(MYPY) .

format: venv
	$(RUFF) format .
	$(RUFF) check --fix .

# The benchmark wipes its database between sizes, so it gets one of its own (created if missing).
bench: export DATABASE_URL := postgres://postgres@127.0.0.1:5432/brm_bench
bench: export REDIS_URL ?= redis://127.0.0.1:6379/15
bench: export SECRET_KEY := test-only-secret-key-not-for-production
bench: export STATIC_STORAGE := plain
bench-web: export DATABASE_URL := postgres://postgres@127.0.0.1:5432/brm_bench
bench-web: export REDIS_URL ?= redis://127.0.0.1:6379/15
bench-web: export SECRET_KEY := test-only-secret-key-not-for-production
bench-web: export STATIC_STORAGE := plain
bench-http: export DATABASE_URL := postgres://postgres@127.0.0.1:5432/brm_bench
bench-http: export REDIS_URL ?= redis://127.0.0.1:6379/15
bench-http: export SECRET_KEY := test-only-secret-key-not-for-production
bench-http: export STATIC_STORAGE := plain
BENCH_ARGS ?=
BENCH_WEB_ARGS ?=
BENCH_HTTP_ARGS ?=

bench bench-web bench-http: venv
	scripts/ensure-services
	@psql "$${DATABASE_URL%/*}/postgres" -XqtA -c "select 1 from pg_database where datname = 'brm_bench'" | grep -q 1 \
		|| { echo "createdb brm_bench"; psql "$${DATABASE_URL%/*}/postgres" -Xq -c "create database brm_bench"; }
	$(PY) manage.py migrate --verbosity 0
	$(if $(filter bench,$@),$(PY) manage.py bench_health $(BENCH_ARGS))
	$(if $(filter bench bench-web,$@),$(PY) manage.py bench_web $(BENCH_WEB_ARGS))
	$(if $(filter bench bench-http,$@),$(PY) manage.py bench_http $(BENCH_HTTP_ARGS))

worker: venv
	$(CELERY) -A brm worker --loglevel INFO

beat: venv
	$(CELERY) -A brm beat --loglevel INFO

migrate: venv
	$(PY) manage.py migrate

seed: venv
	$(PY) manage.py seed_demo

# Needs GNU gettext (msgfmt, xgettext). Translate the new entries in django.po (no fuzzy ones:
# tests/i18n fails on them), then run it again to compile; commit the .po and the .mo.
messages: venv
	$(PY) manage.py makemessages -l es --no-location --ignore=".venv/*" --ignore="var/*" --ignore="tests/*"
	$(PY) manage.py compilemessages -l es --ignore=".venv"

clean:
	rm -rf var $(VENV)
