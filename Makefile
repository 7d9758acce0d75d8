# The everyday commands. `make demo` and `make test` install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test export
install: $(VENV)/.installed

$(VENV)/.installed: settings.ini setup.py
	bash tools/install-system.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

## The practical project in one command: local cluster + local PostgreSQL, results kept in .sparkcluster/
demo: install
	bash tools/install-system.sh
	$(BIN)/sparkcluster demo $(ARGS)

## Run the notebooks as tests (one pytest item each; ends with "N passed, N failed")
test: install
	bash tools/install-system.sh
	$(BIN)/python -m pytest -s -p no:cacheprovider nbs

## Regenerate sparkcluster/ from the notebooks and clean the notebooks' metadata
export: install
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
