# Two commands on a fresh machine: `make run` starts the app, `make test` runs the tests.
# Both create .venv if missing and install the pinned dependencies (CPU torch unless a GPU is present).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt packages.txt | md5sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQ_HASH)

.PHONY: run test install system-deps clean

run: install
	GRADIO_ANALYTICS_ENABLED=False $(PY) app.py

test: install
	$(PY) -m ruff check .
	GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 $(PY) -m pytest -q

install: system-deps $(STAMP)

system-deps:
	@bash scripts/install-system-deps.sh --with-browser

$(STAMP): requirements.txt requirements-dev.txt packages.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache
