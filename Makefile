# harden: `make demo` and `make test` work on a fresh machine with Python 3.11+, git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test compat lint bench stress clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "harden needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh

test: $(STAMP) lint
	$(BIN)/pytest
	$(BIN)/nox -s compat

# The SDK compatibility matrix alone (one virtualenv per SDK under .venv/nox, reused).
compat: $(STAMP)
	$(BIN)/nox -s compat

lint: $(STAMP)
	$(BIN)/ruff check harden tests scripts noxfile.py
	$(BIN)/ruff format --check harden tests scripts noxfile.py

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# The long reliability runs, before a release (minutes): kill loop, thousands of programs.
stress: $(STAMP)
	$(BIN)/python scripts/stress.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
