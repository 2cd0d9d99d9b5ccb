# kangdang (康档) — developer commands. Needs only a python3 >= 3.11 with venv and pip.
#
#   make install   create .venv and install the locked dependencies (again only when
#                  requirements.lock or pyproject.toml changed)
#   make run       migrate, load the demo county (prints the demo logins), serve on http://127.0.0.1:8000
#   make test      all tests: SQLite + PostgreSQL + browser (extra pytest arguments: PYTEST_ARGS="-x -k …")
#   make bench     the benchmark (not in make test): SQLite + PostgreSQL at 50,000/500,000 → bench-results/
#   make lint      ruff (lint + format check), mypy, import-linter contracts
#   make lock      regenerate requirements.lock with uv
#   make clean     remove the venv and caches (the demo database in ./var/ is kept; delete it by hand)
#
# Written for GNU make 4.3 but kept to portable make: no GNU functions, no conditionals.

PYTHON = python3
VENV = .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.kangdang-installed
PYTEST_ARGS ?=
# An explicit uv binary for `make lock` (default: uv on PATH, else one pip-installed into the venv).
UV =
PIP = PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/python -m pip

.PHONY: help install run test lint lock clean
.PHONY: bench

help:
	@sed -n '2,10s/^# \{0,1\}//p' Makefile

install: $(STAMP)

# Fail early, and clearly, when the machine's python is too old (or missing).
CHECK_PYTHON = $(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "kangdang needs Python >= 3.11, but '$(PYTHON)' is: $$($(PYTHON) --version 2>/dev/null || echo 'not found')." >&2; \
	  echo "Install Python 3.11+ (with venv and pip), or run: make PYTHON=/path/to/python3.11 install" >&2; \
	  exit 1; }

# The venv's interpreter; recreated when missing (or when the link to the machine's python broke).
$(BIN)/python:
	@$(CHECK_PYTHON)
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $(STAMP)

run: install
	$(BIN)/kangdang db upgrade
	$(BIN)/kangdang demo load
	$(BIN)/kangdang serve

test: install
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The benchmark (docs/performance.md): kangdang bench run; extra options in BENCH_ARGS="--sizes 5000 …".
BENCH_ARGS ?=
bench: install
	$(BIN)/kangdang bench run --databases sqlite,postgresql --sizes 50000,500000 --seed 2026 --users 50 \
	  --duration 30 --out bench-results $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

lock:
	@set -e; \
	if [ -n "$(UV)" ]; then uv="$(UV)"; \
	elif command -v uv >/dev/null 2>&1; then uv=uv; \
	else \
	  if [ ! -x $(BIN)/python ]; then $(CHECK_PYTHON); $(PYTHON) -m venv $(VENV); fi; \
	  if [ ! -x $(BIN)/uv ]; then $(PIP) install uv; fi; \
	  uv=$(BIN)/uv; \
	fi; \
	echo "$$uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11"; \
	UV_PYTHON_DOWNLOADS=never "$$uv" pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist test-artifacts src/*.egg-info
	find src tests -name __pycache__ -type d -prune -exec rm -rf {} +
