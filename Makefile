# Two commands on a fresh machine with only Python 3.11+ and make:
#   make run    install, migrate the SQLite default, admin user + demo API key + demo data, serve :8000
#   make test   install, run the whole suite (DATABASE_URL picks the database; SQLite by default)
# uv comes from PATH, or is installed into .tools/ with pip on first use.

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install bench

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

install: $(if $(findstring .tools/,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen

run: install
	$(UV) run python manage.py migrate --noinput
	$(UV) run python manage.py bootstrap_local --site http://$(HOST):$(PORT)
	$(UV) run python manage.py runserver $(HOST):$(PORT)

test: install
	$(UV) run pytest

# The hot routes against a bare FastAPI + psycopg peer (restore, start: project/peer
# ratios), then update and interactions; wrk, pgbench, psql and curl from Debian,
# ports 8101-8102 free. DUR=30 for steadier figures. Not part of the test suite.
# The rate-limit counters live in Redis, as in production under load (README,
# REDIS_URL); BENCH_REDIS_URL= (empty) keeps them in the database instead.
BENCH_SIDE_BY_SIDE ?= ../shared/bench/side_by_side.sh
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15
bench: install
	REDIS_URL=$(BENCH_REDIS_URL) $(BENCH_SIDE_BY_SIDE) .
	REDIS_URL=$(BENCH_REDIS_URL) bench/hot_paths.sh .

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy .
	$(UV) run python manage.py makemigrations --check --dry-run
	$(UV) run python manage.py spectacular --validate --fail-on-warn --file /dev/null
