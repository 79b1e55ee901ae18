# Two commands on a fresh machine (Python 3.11 + pip):
#   make demo   the main job on the embedded defaults
#   make test   every test
# Both create ./.venv and install the repo's distributions into it (editable) on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

DISTRIBUTIONS := -e '.[test,langchain]' -e conformance -e adapters/chroma -e adapters/qdrant

.PHONY: install demo test test-explore bench

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

# Random hypothesis examples instead of CI's derandomized ones, for a local hunt (never in CI). A failure replays
# with the seed printed first: make test-explore SEED=<seed>
SEED ?= $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
test-explore: $(STAMP)
	@echo "hypothesis seed: $(SEED) (replay: make test-explore SEED=$(SEED))"
	VECTORSTORE_HYPOTHESIS_PROFILE=vectorstore-explore $(BIN)/python -m pytest -k "test_random_" \
		--hypothesis-seed=$(SEED) $(PYTEST_ARGS)

# Smoke set on Python 3.13 (`make test-smoke`): a second venv with the same four distributions, then the core tests,
# the conformance suite on memory and Qdrant Edge, and one isolated Chroma class. The venv lives at the root, outside
# pytest's testpaths.
PYTHON313 ?= $(shell PYENV_VERSION=3.13.0 pyenv which python 2>/dev/null || command -v python3.13 2>/dev/null || echo python3.13)
VENV313   ?= .venv313
STAMP313  := $(VENV313)/.installed
SMOKE     := tests/core conformance/tests/test_memory.py \
             adapters/qdrant/tests/test_qdrant_conformance.py::TestEdge \
             adapters/chroma/tests/test_chroma_conformance.py::TestChromaEmbeddedIsolated

.PHONY: test-smoke

$(STAMP313): pyproject.toml conformance/pyproject.toml adapters/chroma/pyproject.toml adapters/qdrant/pyproject.toml
	$(PYTHON313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install --quiet --upgrade pip
	$(VENV313)/bin/python -m pip install --quiet $(DISTRIBUTIONS)
	touch $(STAMP313)

test-smoke: $(STAMP313)
	$(VENV313)/bin/python -m pytest $(SMOKE) $(PYTEST_ARGS)
