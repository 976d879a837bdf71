# Two commands for a fresh machine:  `make demo`  and  `make test`.
# Each installs what it needs (a virtualenv in .venv, the local Kafka and Redis) first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-tools install services services-down lint unit integration bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11) and "Python 3.11+ is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --progress-bar off -e '.[dev]'
	@touch $@

install: $(STAMP)  ## create .venv with the project and its dev tools

services: install  ## fetch (first time) and start the local Kafka broker and Redis
	bash scripts/services.sh up

services-down:  ## stop the local Kafka broker and Redis
	bash scripts/services.sh down

demo: services  ## run the demo: mixed stream -> worker -> embedded ClickHouse, then a summary
	$(BIN)/aiops demo

test-tools:  ## install the real clients integration tests use (Alertmanager, Debian chromium)
	bash scripts/test-tools.sh

test: services test-tools  ## lint, then every test (unit + integration against the real services)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

unit: install  ## unit tests only (no services needed)
	$(BIN)/python -m pytest tests/unit

lint: install
	$(BIN)/ruff check .

bench: services  ## pipeline throughput benchmark
	$(BIN)/aiops bench pipeline

clean:  ## remove .venv and var/ (local data); services keep their cache
	rm -rf $(VENV) var
