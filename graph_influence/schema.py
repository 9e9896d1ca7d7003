"""The snapshot schema: the tables a snapshot may hold and the columns of each (DESIGN.md §3).

Loaders produce tables in this shape; stores consume them. Column types after normalisation:

========  =========================================================================
column    normalised Arrow type
========  =========================================================================
ids       ``string`` (taken verbatim: never trimmed or case-folded; at most
          ``MAX_ID_BYTES`` bytes of UTF-8)
``ts``    ``timestamp[us]`` (UTC; input is ISO-8601 or epoch seconds)
``weight````float64`` (finite, >= 0; default 1.0)
``type``  ``string`` (lower-cased interaction type)
others    ``string``
========  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_INTERACTION_TYPES",
    "MAX_ID_BYTES",
    "SNAPSHOT_FORMATS",
    "TABLES",
    "TABLE_ORDER",
    "ColumnSpec",
    "TableSpec",
]

#: The snapshot formats the loaders read (``auto``: guess from the path). The CLI builds its
#: ``load --format`` choices from this list without importing the loaders.
SNAPSHOT_FORMATS: tuple[str, ...] = (
    "auto", "dir", "higgs", "ego-twitter", "twitter", "mastodon", "bluesky", "reddit", "graph",
    "table", "edgelist",
)

#: The longest id (user, post) a snapshot may hold, in bytes of UTF-8. Neo4j cannot index a
#: property value of about 8 KB or more, so both stores refuse ids over half of that: the same
#: snapshot loads (or is rejected) the same way in each. Real ids are far shorter (a Bluesky
#: AT-URI or a Mastodon status URI is about 100 bytes).
MAX_ID_BYTES = 4096

#: Interaction types known without configuration, with their default weights (DESIGN.md §5).
DEFAULT_INTERACTION_TYPES: dict[str, float] = {
    "retweet": 1.0,
    "quote": 1.0,
    "reply": 0.75,
    "mention": 0.5,
    "like": 0.25,
}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a snapshot table.

    ``kind`` is one of ``"id"`` (non-empty string), ``"str"``, ``"ts"`` (timestamp),
    ``"type"`` (interaction type), ``"weight"`` (number >= 0).
    """

    name: str
    kind: str
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One snapshot table: its columns and, for error messages, what a row means."""

    name: str
    columns: tuple[ColumnSpec, ...]
    meaning: str
    keep_extra: bool = False

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


TABLES: dict[str, TableSpec] = {
    "users": TableSpec(
        "users",
        (
            ColumnSpec("id", "id", True, "the user's id"),
            ColumnSpec("name", "str"),
            ColumnSpec("created_at", "ts"),
            ColumnSpec("topics", "str", help="';'-separated topics"),
        ),
        "one row per user",
        keep_extra=True,
    ),
    "follows": TableSpec(
        "follows",
        (
            ColumnSpec("src", "id", True, "the follower"),
            ColumnSpec("dst", "id", True, "the followed user"),
            ColumnSpec("ts", "ts"),
        ),
        "src follows dst",
    ),
    "interactions": TableSpec(
        "interactions",
        (
            ColumnSpec("src", "id", True, "the actor"),
            ColumnSpec("dst", "id", True, "the user acted upon"),
            ColumnSpec("type", "type", True, "retweet, quote, reply, mention, like, ..."),
            ColumnSpec("ts", "ts"),
            ColumnSpec("post_id", "str"),
            ColumnSpec("topics", "str", help="';'-separated topics"),
            ColumnSpec("weight", "weight"),
        ),
        "src acted on dst (one event)",
    ),
    "posts": TableSpec(
        "posts",
        (
            ColumnSpec("id", "id", True, "the post's id"),
            ColumnSpec("author", "id", True, "the author's user id"),
            ColumnSpec("ts", "ts"),
            ColumnSpec("text", "str"),
            ColumnSpec("topics", "str", help="';'-separated topics"),
        ),
        "one row per post",
    ),
}

#: The order tables are loaded in (users first, so edges can refer to them).
TABLE_ORDER: tuple[str, ...] = ("users", "follows", "interactions", "posts")
