# The two commands a newcomer types: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
STAMP  := $(VENV)/.installed

.PHONY: run test install lint bench scale clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# bpmn-js (viewer and modeler) comes from the npm registry, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

install: $(STAMP) node_modules/.installed

run: install
	$(BIN)/socorg init-db
	$(BIN)/socorg deploy bpmn/
	$(BIN)/socorg demo --if-empty
	PORT=$(PORT) $(BIN)/socorg run

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/run.py

# The multi-process scale run on PostgreSQL (docs/performance.md): gunicorn + schedulers + a load driver.
# SCALE_ARGS=--quick (50 cases) for a smoke run; SOCORG_SCALE_POSTGRES_URL picks the server.
scale: install
	$(BIN)/python bench/scale_run.py $(SCALE_ARGS)

clean:
	rm -rf $(VENV) node_modules instance test-output .pytest_cache
