"""The Examples sections of docstrings run and print what they say, in every module.

Modules are discovered, not listed: every module of ``graph_influence`` (``pkgutil`` over its
``__path__``) and of every package the build declares (``[tool.setuptools] packages`` in
pyproject.toml: ``graph_influence.loaders`` and ``.algorithms`` live in top-level folders through
``package-dir``, so an editable install does not put them under ``graph_influence.__path__``).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tomllib
from pathlib import Path

import pytest

import graph_influence

REPO = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: Modules that are never imported here, and why. Only these may be left out.
SKIPPED = {
    # Running ``python -m graph_influence[.x]`` entry points would run the CLI on import.
    "__main__": "a `python -m` entry point: importing it runs the command line",
}

#: Modules with examples today (others have been added since); discovery must keep finding them.
HAVE_EXAMPLES_TODAY = {
    "graph_influence.algorithms.communities",
    "graph_influence.algorithms.pagerank",
    "graph_influence.algorithms.ranking",
    "graph_influence.algorithms.scaling",
    "graph_influence.analysis",
    "graph_influence.loaders",
    "graph_influence.loaders.ego_twitter",
    "graph_influence.stores",
    "graph_influence.timeparse",
    "graph_influence.topic_names",
}


def _declared_packages() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["setuptools"]["packages"])


def _skip_reason(name: str) -> str | None:
    return SKIPPED.get(name.rsplit(".", 1)[-1])


def discover_modules() -> list[str]:
    """Names of every importable module of the distribution (packages included), sorted."""
    names: set[str] = set()
    roots = [("graph_influence", list(graph_influence.__path__))]
    for package in _declared_packages():
        try:
            module = importlib.import_module(package)
        except Exception:  # its own test below imports it again and fails loudly
            names.add(package)
            continue
        if getattr(module, "__file__", None) is None:
            continue  # a data folder without __init__.py (e.g. graph_influence.sample): no code
        names.add(package)
        roots.append((package, list(module.__path__)))
    for prefix, path in roots:
        names.add(prefix)
        # A package that fails to import is still listed (its test fails); only its
        # sub-modules cannot be listed until it imports again.
        for info in pkgutil.walk_packages(path, prefix=f"{prefix}.", onerror=lambda _name: None):
            names.add(info.name)
    return sorted(name for name in names if _skip_reason(name) is None)


MODULES = discover_modules()


def _run_examples(name: str) -> doctest.TestResults:
    module = importlib.import_module(name)
    return doctest.testmod(module, optionflags=FLAGS)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    result = _run_examples(name)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_discovery_finds_every_module_with_examples_today(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert {"graph_influence.loaders.files", "graph_influence.algorithms.louvain",
            "graph_influence.stores.duckdb_store", "graph_influence.testing.neo4j_server",
            "graph_influence.cli"} <= set(MODULES)
    finder = doctest.DocTestFinder()
    with_examples = {
        name for name in MODULES
        if any(t.examples for t in finder.find(importlib.import_module(name)))
    }
    missing = HAVE_EXAMPLES_TODAY - with_examples
    assert not missing, f"discovery lost the examples of {sorted(missing)}"


def test_public_api_is_importable_lazily():
    import graph_influence as gi

    for name in gi.__all__:
        assert getattr(gi, name) is not None
    with pytest.raises(AttributeError):
        gi.no_such_thing  # noqa: B018
