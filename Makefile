# The two commands a new machine needs: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: demo test install lint bench-intake clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: install
	$(BIN)/openum db upgrade
	$(BIN)/openum demo load
	$(BIN)/openum serve

test: install
	$(BIN)/ruff check openum tests bench
	$(BIN)/pytest

bench-intake: install
	$(BIN)/python bench/intake.py

clean:
	rm -rf var .pytest_cache
