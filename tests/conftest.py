"""Shared fixtures: temporary stores, small snapshots written to disk, the shared datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graph_influence.stores import DuckDBStore

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GRAPH_INFLUENCE_SHARED", REPO.parent / "shared")) / "datasets"


def shared_dataset(*parts: str) -> Path:
    """Path of a file in ../shared/datasets; fails (never skips) in CI when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared dataset missing in CI: {path}")
        pytest.skip(f"shared dataset not present on this machine: {path}")
    return path


def write_snapshot(directory: Path, **tables: str) -> Path:
    """Write ``name=csv_text`` tables into ``directory`` (``.csv`` unless the name has a suffix)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        filename = name if "." in name else f"{name}.csv"
        (directory / filename.replace("__", ".")).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def store(store_path: Path):
    with DuckDBStore(store_path) as st:
        yield st


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    """A small valid snapshot with all four tables."""
    return write_snapshot(
        tmp_path / "snap",
        users="id,name,topics,country\nalice,Alice,python;data,fr\nbob,Bob,,de\ncarol,Carol,data,\n",
        follows="src,dst,ts\nbob,alice,2024-01-01T00:00:00Z\ncarol,alice,\nalice,carol,1704067200\n"
        "dave,alice,\n",
        interactions="src,dst,type,ts,post_id,topics\n"
        "bob,alice,retweet,2024-01-02T00:00:00Z,p1,python\n"
        "carol,alice,like,2024-01-03T00:00:00Z,p1,\n"
        "bob,alice,reply,1704326400,p1,\n"
        "alice,bob,mention,2024-01-05T00:00:00Z,,\n",
        posts="id,author,ts,text\np1,alice,2024-01-01T12:00:00Z,Hello #python world\n",
    )
