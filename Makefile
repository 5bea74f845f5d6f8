# Every target sets up what it needs, so each works on a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
REDIS_PORT ?= 6399
# make serve: the team deployment (gunicorn + Redis) on HOST:PORT with WORKERS workers
HOST ?= 0.0.0.0
PORT ?= 8050
WORKERS ?= 2
SERVE_REDIS_PORT ?= 6390
REDIS_MAXMEMORY ?= 256mb
CACHE_DEFAULT_TIMEOUT ?= 3600
CACHE_REDIS_URL ?=
# Celery worker processes of make serve (background jobs: kit, large exports, large cohorts)
CELERY_CONCURRENCY ?= 2
# make loadtest: simulated users and seconds (loopback only; stops by itself)
USERS ?= 50
DURATION ?= 60

.PHONY: run dev serve loadtest test bench lint sysdeps redis-dep constraints clean-cache help

help:
	@echo "make run    set up and open the app on the bundled simulated cohort (http://127.0.0.1:8050)"
	@echo "make dev    the same with Dash's debugger and hot reload (developers only)"
	@echo "make serve  the team server: gunicorn (WORKERS=2) on HOST:PORT, Redis, Celery, login required"
	@echo "make loadtest  USERS=50 logged-in users for DURATION=60 s against a loopback server"
	@echo "make test   set up, lint (ruff) and run unit, integration and browser tests"
	@echo "make bench  measure load, analysis and page-callback speed"

$(VENV)/.runtime: requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt -c constraints.txt
	touch $@

# Debian packages the tests need: Chromium + driver (browser tests, static image
# export), redis-server (the RedisCache test) and R with emmeans and sandwich (the kit's
# R script, its sensitivity part, and tests/reference). Installed only when missing.
sysdeps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v Rscript >/dev/null 2>&1 || missing="$$missing r-base-core"; \
	Rscript -e 'library(emmeans)' >/dev/null 2>&1 || missing="$$missing r-cran-emmeans"; \
	Rscript -e 'library(sandwich)' >/dev/null 2>&1 || missing="$$missing r-cran-sandwich"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# redis-server for make serve / loadtest (only when missing)
redis-dep:
	@command -v redis-server >/dev/null 2>&1 || { \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q redis-server; }

run: $(VENV)/.runtime
	$(PY) app.py

dev: $(VENV)/.runtime
	$(PY) app.py --debug

# The team server. Login is required: add accounts first (python -m accounts add NAME
# --role analyst). Without CACHE_REDIS_URL a Redis is started here, bound to loopback,
# with a password generated into .cache/redis_password, a memory cap (LRU eviction)
# and entries expiring after CACHE_DEFAULT_TIMEOUT seconds. A Celery worker runs the
# background jobs on the same Redis (its own database, 1). All stop with the server.
serve: $(VENV)/.runtime redis-dep
	@mkdir -p .cache && chmod 700 .cache
	@EXPLORER_AUTH=required $(PY) -m accounts check
	@set -e; url="$(CACHE_REDIS_URL)"; pw=""; celery_pid=""; \
	stop() { [ -z "$$celery_pid" ] || kill -TERM $$celery_pid 2>/dev/null || true; \
	  [ -z "$$celery_pid" ] || wait $$celery_pid 2>/dev/null || true; \
	  [ -z "$$pw" ] || REDISCLI_AUTH="$$pw" redis-cli -p $(SERVE_REDIS_PORT) shutdown nosave >/dev/null 2>&1 || true; }; \
	trap stop EXIT INT TERM; \
	if [ -z "$$url" ]; then \
	  [ -s .cache/redis_password ] || (umask 077; $(PY) -c "import secrets; print(secrets.token_hex(24))" > .cache/redis_password); \
	  pw=$$(cat .cache/redis_password); \
	  printf 'port %s\nbind 127.0.0.1\nrequirepass %s\nmaxmemory %s\nmaxmemory-policy allkeys-lru\nsave ""\nappendonly no\ndaemonize yes\npidfile %s/.cache/redis-serve.pid\nlogfile %s/.cache/redis-serve.log\n' \
	    $(SERVE_REDIS_PORT) "$$pw" $(REDIS_MAXMEMORY) "$$PWD" "$$PWD" | redis-server -; \
	  url="redis://:$$pw@127.0.0.1:$(SERVE_REDIS_PORT)/0"; \
	fi; \
	export EXPLORER_AUTH=required EXPLORER_HOST=$(HOST) EXPLORER_PORT=$(PORT) EXPLORER_WORKERS=$(WORKERS) \
	  CACHE_TYPE=RedisCache CACHE_REDIS_URL="$$url" CACHE_DEFAULT_TIMEOUT=$(CACHE_DEFAULT_TIMEOUT) \
	  EXPLORER_JOBS=celery; \
	$(VENV)/bin/celery -A shell.worker worker --loglevel=WARNING --concurrency=$(CELERY_CONCURRENCY) \
	  --without-gossip --without-mingle & celery_pid=$$!; \
	$(VENV)/bin/gunicorn -c serving/gunicorn_conf.py app:server

# USERS logged-in users browse page callbacks with varied filters for DURATION seconds
# against a server (2 workers + Redis + a Celery worker) this target starts on the
# loopback and stops.
loadtest: $(VENV)/.dev redis-dep
	$(PY) -m benchmarks.loadtest --spawn --users $(USERS) --duration $(DURATION) --workers $(WORKERS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

test: $(VENV)/.dev sysdeps lint
	@redis-server --port $(REDIS_PORT) --save "" --appendonly no --daemonize yes >/dev/null
	@for i in 1 2 3 4 5 6 7 8 9 10; do redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1 && break; sleep 0.5; done; \
	redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1 || { echo "redis-server did not start on port $(REDIS_PORT)"; exit 1; }
	@status=0; \
	REDIS_TEST_URL=redis://127.0.0.1:$(REDIS_PORT)/0 $(PY) -m pytest tests --headless || status=$$?; \
	redis-cli -p $(REDIS_PORT) shutdown nosave >/dev/null 2>&1 || true; \
	exit $$status

bench: $(VENV)/.dev sysdeps
	$(PY) -m benchmarks.run_all

# pin every package's version after changing a requirements file: resolved afresh in a
# throw-away venv (not under the old constraints, and nothing installed by hand)
constraints:
	rm -rf .venv-freeze
	$(PYTHON) -m venv .venv-freeze
	.venv-freeze/bin/pip install -q --upgrade pip
	.venv-freeze/bin/pip install -q -r requirements.txt -r requirements-dev.txt
	{ echo "# Every package's version as tested: make installs requirements.txt and"; \
	  echo "# requirements-dev.txt under these constraints, so a new release of a dependency"; \
	  echo "# of a dependency (kombu under Celery, say) cannot change a fresh CI run."; \
	  echo "# Regenerate after changing a requirements file: make constraints"; \
	  .venv-freeze/bin/pip freeze --exclude-editable; } > constraints.tmp
	mv constraints.tmp constraints.txt
	rm -rf .venv-freeze

clean-cache:
	rm -rf .cache
