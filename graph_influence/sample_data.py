"""The bundled sample snapshot (synthetic; see ``graph_influence/sample/README.md``)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["sample_path"]


def sample_path() -> Path:
    """Directory of the bundled sample snapshot (users, follows, interactions, posts as CSV)."""
    return Path(str(files("graph_influence") / "sample"))
