# Every target sets up what it needs, so each works on a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
REDIS_PORT ?= 6399

.PHONY: run test bench lint sysdeps clean-cache help

help:
	@echo "make run    set up and open the app on the bundled simulated cohort (http://127.0.0.1:8050)"
	@echo "make test   set up, lint (ruff) and run unit, integration and browser tests"
	@echo "make bench  measure load, analysis and page-callback speed"

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

# Debian packages the tests need: Chromium + driver (browser tests, static image
# export), redis-server (the RedisCache test) and R with emmeans (the kit's R script
# and tests/reference). Installed only when missing.
sysdeps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v Rscript >/dev/null 2>&1 || missing="$$missing r-base-core"; \
	Rscript -e 'library(emmeans)' >/dev/null 2>&1 || missing="$$missing r-cran-emmeans"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

run: $(VENV)/.runtime
	$(PY) app.py --debug

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

test: $(VENV)/.dev sysdeps lint
	@redis-server --port $(REDIS_PORT) --save "" --appendonly no --daemonize yes >/dev/null
	@status=0; \
	REDIS_TEST_URL=redis://127.0.0.1:$(REDIS_PORT)/0 $(PY) -m pytest tests --headless || status=$$?; \
	redis-cli -p $(REDIS_PORT) shutdown nosave >/dev/null 2>&1 || true; \
	exit $$status

bench: $(VENV)/.dev sysdeps
	$(PY) -m benchmarks.run_all

clean-cache:
	rm -rf .cache
