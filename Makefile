# Two entry points: `make run` (set up, then run the baseline scenario) and `make test` (set up,
# lint, install the Debian packages the tests need where it can, run the whole suite).
# Python 3.12+ is required; on machines where `python3` is older, the newest 3.12+ found on the
# PATH or under pyenv is used. Override with `make PYTHON=/path/to/python3.12 ...`.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; exit 0; }; done; \
	ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | tail -n 1)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup lint system-deps bytecode

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12+ not found; pass PYTHON=/path/to/python3.12"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# The package's bytecode, written even where PYTHONDONTWRITEBYTECODE is set (an editable install has none of its
# own): without it every command compiles the package's sources again, about 0.2 s a process. Only files changed
# since are compiled again.
bytecode: setup
	$(BIN)/python -m compileall -q sim benchmarks

run: setup bytecode
	$(BIN)/skywatch run baseline --out runs/baseline --force

lint: setup
	$(BIN)/ruff check sim tests benchmarks

# Chromium and ffmpeg: installed where this machine allows, else one line saying what to install.
system-deps:
	sh scripts/system-deps.sh

test: setup lint system-deps bytecode
	$(BIN)/python -m pytest
