"""SNAP Higgs-Twitter adapter.

Files (https://snap.stanford.edu/data/higgs-twitter.html; De Domenico et al., Sci. Rep. 3, 2980):

- ``higgs-activity_time.txt[.gz]``: ``userA userB timestamp type`` per event, ``type`` in
  ``RT`` (retweet), ``MT`` (mention), ``RE`` (reply). userA acted on userB, so attention flows
  from A to B: the event becomes an interaction ``src=A, dst=B``.
- ``higgs-{retweet,reply,mention}_network.edgelist[.gz]``: ``userA userB weight`` aggregations
  of the activity file, loaded as interactions of that type with ``weight`` = count (no time).
  They are read only when the activity file is absent, since they repeat it.
- ``higgs-social_network.edgelist[.gz]``: ``userA userB``, A follows B.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from graph_influence.errors import SnapshotError
from graph_influence.loaders.files import RawTable, read_delimited
from graph_influence.loaders.registry import Importer, ReadOptions
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder

__all__ = ["HIGGS_TYPES", "find_higgs_files", "is_higgs", "read_higgs"]

#: Activity codes of the Higgs file and the interaction types they become.
HIGGS_TYPES = {"RT": "retweet", "MT": "mention", "RE": "reply"}

_LAYERS = {"retweet": "retweet", "reply": "reply", "mention": "mention"}


def _match(path: Path, stem: str) -> bool:
    name = path.name.lower()
    return name in (stem, stem + ".gz")


def find_higgs_files(path: Path) -> dict[str, Path]:
    """Higgs files under ``path`` (a directory or one file), keyed by role."""
    candidates = sorted(path.iterdir()) if path.is_dir() else [path]
    found: dict[str, Path] = {}
    stems = {"activity": "higgs-activity_time.txt", "social": "higgs-social_network.edgelist",
             **{layer: f"higgs-{layer}_network.edgelist" for layer in _LAYERS}}
    for p in candidates:
        for role, stem in stems.items():
            if _match(p, stem):
                if role in found:  # the plain file and its .gz: which one is meant?
                    raise SnapshotError(
                        f"{path}: both {found[role].name} and {p.name} are there — move one of "
                        "them away (they would be read twice, or one of them ignored)")
                found[role] = p
    return found


def is_higgs(path: Path) -> bool:
    """Whether ``path`` is a Higgs file or a directory holding some."""
    if not path.exists():
        return False
    try:
        return bool(find_higgs_files(path))
    except SnapshotError:  # a plain file and its .gz: claim it, reading says which
        return True


def _map_activity(raw: RawTable) -> RawTable:
    codes = raw.table.column("type").combine_chunks()
    mapped = codes
    for code, name in HIGGS_TYPES.items():
        mapped = pc.if_else(pc.equal(codes, code), pa.scalar(name), mapped)
    raw.table = raw.table.set_column(raw.header.index("type"), "type", mapped)
    return raw


def _with_type(type_name: str):
    def add_type(raw: RawTable) -> RawTable:
        column = pa.repeat(pa.scalar(type_name, pa.string()), raw.table.num_rows)
        raw.table = raw.table.append_column("type", column)
        raw.header = [*raw.header, "type"]
        return raw

    return add_type


def read_higgs(
    path: Path, *, on_error: str = "fail", interaction_types: Iterable[str] = ()
) -> Snapshot:
    """Read SNAP Higgs-Twitter files from a directory or a single file.

    Parameters
    ----------
    path : Path
        A directory holding ``higgs-*`` files, or one of them.
    on_error : {"fail", "skip"}, optional
        What to do with a bad record.
    interaction_types : iterable of str, optional
        Extra interaction types to allow.

    Returns
    -------
    Snapshot
    """
    files = find_higgs_files(path)
    if not files:
        raise SnapshotError(
            f"{path}: no Higgs files found — expected higgs-activity_time.txt[.gz] or "
            "higgs-{retweet,reply,mention,social}_network.edgelist[.gz]"
        )
    builder = SnapshotBuilder(str(path), "higgs", on_error=on_error,
                              interaction_types=interaction_types)
    if "social" in files:
        builder.add("follows", read_delimited(files["social"], column_names=["src", "dst"],
                                              delimiter=" ", snap_text=True))
    if "activity" in files:
        raw = read_delimited(files["activity"], column_names=["src", "dst", "ts", "type"],
                             delimiter=" ", snap_text=True)
        builder.add("interactions", raw, transform=_map_activity)
    else:
        for layer, type_name in _LAYERS.items():
            if layer in files:
                raw = read_delimited(files[layer], column_names=["src", "dst", "weight"],
                                     delimiter=" ", snap_text=True)
                builder.add("interactions", raw, transform=_with_type(type_name))
    return builder.build()


def _read(path: Path, options: ReadOptions) -> Snapshot:
    return read_higgs(path, on_error=options.on_error,
                      interaction_types=options.interaction_types)


#: ``--format higgs``.
IMPORTER = Importer(
    name="higgs",
    summary="SNAP Higgs Twitter files (higgs-social_network.edgelist, higgs-activity_time.txt)",
    read=_read,
    detect=is_higgs,
    precedence=20,
)
