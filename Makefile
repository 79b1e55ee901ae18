# Two commands on a fresh machine (Python 3.11 + pip):
#   make demo   the main job on the embedded defaults
#   make test   every test
# Both create ./.venv and install the repo's distributions into it (editable) on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

DISTRIBUTIONS := -e '.[test,langchain]' -e conformance -e adapters/chroma -e adapters/qdrant

.PHONY: install demo test bench

$(STAMP): pyproject.toml conformance/pyproject.toml adapters/chroma/pyproject.toml adapters/qdrant/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(DISTRIBUTIONS)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/vectorstore demo-migration

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
