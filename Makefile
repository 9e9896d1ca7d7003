# The README's commands. Everything is installed from nothing into .venv.
# `make help` lists the targets (the `## name: ...` lines below).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: help demo test test-fast lint format bench neo4j-up neo4j-down clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel

$(VENV)/.core-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e ".[dev]"
	touch $@ $(VENV)/.core-installed

## help: list these targets
help:
	@sed -n 's/^## //p' $(firstword $(MAKEFILE_LIST))

## demo: load the bundled sample into an embedded store, analyze it, print the leaderboard
demo: $(VENV)/.core-installed
	$(VENV)/bin/graph-influence demo

## test: the whole suite (lint, then pytest); installs Chromium (apt) for the report's browser test
test: $(VENV)/.dev-installed
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	$(VENV)/bin/ruff check .
	$(PY) -Werror -c "import graph_influence"
	$(PY) -m pytest

## test-fast: lint, then the tests not marked `slow` or `neo4j_fault` (~4 min on 2 cores;
## the Neo4j conformance tests still run, on one session server); CI runs `make test`, everything
test-fast: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not slow and not neo4j_fault"

## lint: ruff check
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

## format: ruff format
format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .

$(VENV)/.bench-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e ".[dev,bench]"
	touch $@ $(VENV)/.dev-installed $(VENV)/.core-installed

## bench: every stage of load + analyze at 100k/1M/10M edges beside the networkx, python-igraph
## and networkit pipelines in the same process (not part of the tests; ~10 min, ~4 GB disk)
BENCH_SIZES ?= 100k 1m 10m
bench: $(VENV)/.bench-installed
	$(PY) bench/run.py --sizes $(BENCH_SIZES) --workdir bench/.work --out bench/results/run.json

## neo4j-up: start a local Neo4j 5.26 Community server from Maven Central jars (no Docker),
## on the same port as last time (NEO4J_PORT=7687 to choose); says what it is doing (stderr),
## then prints export GRAPH_INFLUENCE_STORE=... and export NEO4J_URI=... lines:
## eval "$(make -s neo4j-up)" (the URI is also in .neo4j/uri); GDS=1 adds Open Graph Data
## Science 2.13 (GPL-3.0, fetched on first use)
neo4j-up: $(VENV)/.core-installed
	@echo "neo4j-up: Neo4j 5.26 dev server (jars from Maven Central, data in .neo4j/dev)" >&2
	@$(PY) -m graph_influence.testing.neo4j_server up $(if $(NEO4J_PORT),--port $(NEO4J_PORT)) $(if $(filter 1 yes true,$(GDS)),--gds)

## neo4j-down: stop it (its data stays in .neo4j/dev)
neo4j-down: $(VENV)/.core-installed
	@$(PY) -m graph_influence.testing.neo4j_server down

## clean: remove the virtualenv, caches and the demo store
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info graph-influence-demo.duckdb
