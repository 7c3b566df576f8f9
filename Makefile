# kepu-review: `make run` serves the app with demo data on SQLite; `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL := instance/models/prescreen.joblib
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup model lint format bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

setup: $(STAMP)

model: $(STAMP)
	@test -f $(MODEL) || $(BIN)/kepu prescreen build-default --out $(MODEL)

run: setup model
	$(BIN)/kepu db upgrade
	$(BIN)/kepu demo
	$(BIN)/kepu run --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache
