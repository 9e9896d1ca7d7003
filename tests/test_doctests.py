"""The Examples sections of public docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "graph_influence.loaders",
    "graph_influence.algorithms.pagerank",
    "graph_influence.algorithms.scaling",
    "graph_influence.algorithms.ranking",
    "graph_influence.analysis",
    "graph_influence.stores",
    "graph_influence.timeparse",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_public_api_is_importable_lazily():
    import graph_influence as gi

    for name in gi.__all__:
        assert getattr(gi, name) is not None
    with pytest.raises(AttributeError):
        gi.no_such_thing  # noqa: B018
