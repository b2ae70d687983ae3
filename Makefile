# harden: `make demo` and `make test` work on a fresh machine with Python 3.11+, git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1

.PHONY: demo test compat lint bench stress clean browser

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "harden needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh

test: $(STAMP) lint browser
	$(BIN)/pytest
	$(BIN)/nox -s compat

# The SDK compatibility matrix alone (one virtualenv per SDK under .venv/nox, reused).
compat: $(STAMP)
	$(BIN)/nox -s compat

# Headless Chromium opens the HTML report in a test. Installed from Debian where apt-get runs as
# root (CI); elsewhere that test says it was skipped and why.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& { $(APT_INSTALL) || { apt-get update -qq && $(APT_INSTALL); }; }; } \
		|| echo "make: no chromium (apt-get install chromium): the HTML report's browser test is skipped"

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
