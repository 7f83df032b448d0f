# Two commands on a fresh machine: `make run` starts the app, `make test` runs the tests.
# Both create .venv if missing and install the pinned dependencies (CPU torch unless a GPU is present).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt packages.txt | md5sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQ_HASH)
HAS_GPU := $(shell command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo yes)

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
ifeq ($(HAS_GPU),yes)
	# Unsloth declares transformers<=5.17 and would pull another torch: install it without resolution,
	# it is used only when it imports and supports the model (see ocr_space/train).
	-$(PY) -m pip install -q --no-deps unsloth==2026.10.9 unsloth-zoo==2026.10.9
endif
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache
