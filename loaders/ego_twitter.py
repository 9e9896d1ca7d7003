"""SNAP ego-Twitter ("Social circles: Twitter") adapter.

Files (https://snap.stanford.edu/data/ego-Twitter.html; McAuley and Leskovec, NIPS 2012), one
set per ego network ``E`` (the ego's Twitter user id), in a directory (optionally inside a
``twitter/`` folder) or in SNAP's ``twitter.tar.gz`` itself, read as a stream:

- ``E.edges``: ``a b`` per line, a follows b (both alters of E).
- implicit: E follows every node that appears in ``E.edges`` or ``E.feat``.
- ``E.featnames``: ``index name`` per line, the vocabulary of this ego's feature vectors:
  hashtags (``#FF``) and @mentions (``@YouTube``) the users tweeted.
- ``E.feat``: ``node f0 f1 ... fk`` per line, a 0/1 vector over E's featnames.
- ``E.egofeat``: ``f0 f1 ... fk``, the ego's own vector.
- ``E.circles`` (Twitter lists) are not part of the snapshot schema and are not read.

Feature indexes are local to an ego, so topics are joined by *name*: a user's ``topics`` are
the hashtags (and, with ``include_mentions``, the @mentions) whose feature is 1 for the user in
any ego network it appears in, as written (``#FF`` and ``#ff`` stay distinct), deduplicated,
sorted and ``;``-joined. Names holding ``;`` cannot be stored in that list and are dropped
(logged); in SNAP's files they are HTML-entity debris such as ``#39;s``.

Every file is tokenised in one vectorised pass over its bytes (whitespace-separated tokens with
their physical line numbers), so a bad record is reported as ``FILE:LINE:COLUMN`` -- for the
archive ``ARCHIVE.tar.gz!twitter/E.edges`` -- or, with ``on_error="skip"``, lands in the
rejects: bad ``.edges`` lines under ``follows``, bad ``.feat``/``.egofeat``/``.featnames``
lines under ``users``. A rejected record contributes nothing (no follow, no user, no topic).
"""

from __future__ import annotations

import logging
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_influence.errors import SnapshotError
from graph_influence.loaders.checks import Check, Records, Settlement
from graph_influence.loaders.registry import Importer, ReadOptions
from graph_influence.loaders.snapshot import Snapshot, fingerprint_files
from graph_influence.loaders.validate import TableReport, empty_table
from graph_influence.schema import DEFAULT_INTERACTION_TYPES, TABLE_ORDER, TABLES

__all__ = ["find_ego_files", "is_ego_twitter", "read_ego_twitter"]

logger = logging.getLogger(__name__)

#: The per-ego files that are read (``.circles`` is not).
EGO_FILES: tuple[str, ...] = ("edges", "feat", "egofeat", "featnames")

_MEMBER = re.compile(r"(?:^|/)(\d+)\.(edges|feat|egofeat|featnames)$")
_ARCHIVE_EDGES = re.compile(r"^(?:\./)?twitter/\d+\.edges$")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
_DETECT_MEMBERS = 64  # archive members looked at by is_ego_twitter

_ID_FIX = "node ids are Twitter user ids (decimal digits)"


# -- input: directory or archive ---------------------------------------------------------------


@dataclass
class _File:
    name: str  # shown in messages: the path, or ARCHIVE!MEMBER
    data: bytes


def _is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(_ARCHIVE_SUFFIXES)


def _ego_stems(directory: Path) -> dict[str, dict[str, Path]]:
    found: dict[str, dict[str, Path]] = {}
    for entry in directory.iterdir():
        m = _MEMBER.search(entry.name)
        if m and entry.is_file():
            found.setdefault(m.group(1), {})[m.group(2)] = entry
    return found


def find_ego_files(directory: Path) -> dict[str, dict[str, Path]]:
    """The ego networks in ``directory`` or its ``twitter/`` folder: ``{ego: {ext: path}}``."""
    if not directory.is_dir():
        return {}
    found = _ego_stems(directory)
    if not any("edges" in files for files in found.values()) and (directory / "twitter").is_dir():
        found = _ego_stems(directory / "twitter")
    return found


def is_ego_twitter(path: Path) -> bool:
    """Whether ``path`` holds SNAP ego-Twitter networks.

    A ``.tar.gz`` archive whose first members include ``twitter/<id>.edges``, or a directory
    (or its ``twitter/`` folder) holding ``<id>.edges`` and ``<id>.featnames`` files.
    """
    if _is_archive(path):
        try:
            with tarfile.open(path, mode="r|gz") as tar:
                for k, member in enumerate(tar):
                    if _ARCHIVE_EDGES.match(member.name) and member.isfile():
                        return True
                    if k >= _DETECT_MEMBERS:
                        return False
        except (tarfile.TarError, OSError, EOFError):
            return False
        return False
    files = find_ego_files(path)
    return any("edges" in f for f in files.values()) and any(
        "featnames" in f for f in files.values()
    )


def _directory_egos(
    found: dict[str, dict[str, Path]],
) -> Iterator[tuple[str, dict[str, _File]]]:
    for ego, files in found.items():
        yield ego, {ext: _File(str(p), p.read_bytes()) for ext, p in files.items()}


def _archive_egos(archive: Path) -> Iterator[tuple[str, dict[str, _File]]]:
    """Stream the archive; yield each ego as soon as all its files are in (the rest at the end)."""
    pending: dict[str, dict[str, _File]] = {}
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            for member in tar:
                m = _MEMBER.search(member.name)
                if not (m and member.isfile()):
                    continue
                fh = tar.extractfile(member)
                data = fh.read() if fh is not None else b""
                key = member.name[: m.start(1)] + m.group(1)  # folder + ego id
                files = pending.setdefault(key, {})
                files[m.group(2)] = _File(f"{archive}!{member.name}", data)
                if len(files) == len(EGO_FILES):
                    yield m.group(1), pending.pop(key)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise SnapshotError(f"{archive}: cannot be read as a .tar.gz archive: {exc}") from exc
    for key, files in pending.items():
        yield key.rsplit("/", 1)[-1], files


# -- tokenising ---------------------------------------------------------------------------------


class _Tokens:
    """Whitespace-separated tokens of a text file, grouped into records (non-blank lines)."""

    def __init__(self, file: _File) -> None:
        self.file = file
        buf = np.frombuffer(file.data, dtype=np.uint8)
        self.buf = buf
        ws = (buf == 32) | (buf == 10) | (buf == 13) | (buf == 9) | (buf == 11) | (buf == 12)
        starts = ~ws
        ends = starts.copy()
        starts[1:] &= ws[:-1]
        ends[:-1] &= ws[1:]
        self.start = np.flatnonzero(starts)
        self.end = np.flatnonzero(ends) + 1
        self.newlines = np.flatnonzero(buf == 10)
        line = np.searchsorted(self.newlines, self.start)  # 0-based physical line per token
        first = np.flatnonzero(np.diff(line, prepend=-1))
        self.first = first  # first token of each record
        self.count = np.diff(first, append=len(line))  # tokens per record
        self.line = line[first] + 1  # 1-based physical line per record
        self.record = np.repeat(np.arange(len(first)), self.count)  # record of each token
        self.position = np.arange(len(line)) - first[self.record]  # 0-based field of each token

    @property
    def n(self) -> int:
        return len(self.first)

    def digits(self, tokens: np.ndarray) -> np.ndarray:
        """Whether each of ``tokens`` is all decimal digits."""
        data, offsets = self._spans(self.start[tokens], self.end[tokens])
        not_digit = np.concatenate(([0], np.cumsum((data < 48) | (data > 57))))
        return not_digit[offsets[1:]] == not_digit[offsets[:-1]]

    def _spans(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bytes of the spans ``[starts, ends)`` laid end to end, and their offsets."""
        lengths = ends - starts
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        at = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return self.buf[at], offsets

    def strings(self, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
        """The byte spans ``[starts, ends)`` as an Arrow string array (one gather, no loop)."""
        data, offsets = self._spans(starts, ends)
        arr = pa.LargeStringArray.from_buffers(
            len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())
        )
        try:
            arr.validate(full=True)
        except pa.ArrowInvalid as exc:
            raise SnapshotError(f"{self.file.name}: not UTF-8 text ({exc})") from exc
        return arr.cast(pa.string())

    def text(self, record: int) -> str:
        """The physical line of ``record`` (error path only)."""
        line = int(self.line[record]) - 1
        lo = int(self.newlines[line - 1]) + 1 if line > 0 else 0
        hi = int(self.newlines[line]) if line < len(self.newlines) else len(self.buf)
        return bytes(self.buf[lo:hi]).decode("utf-8", errors="replace").rstrip("\r")

    def token_text(self, token: int) -> str:
        return bytes(self.buf[self.start[token]:self.end[token]]).decode("utf-8", "replace")

    def records(self) -> Records:
        """The records (non-blank lines) as the check engine names and quotes them."""
        return Records(self.file.name, lambda rows: self.line[rows],
                       lambda rows: [self.text(int(r)) for r in rows])


def _first_bad_token(toks: _Tokens, bad_token: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per record: whether it has a bad token, and the token index of its first one."""
    idx = np.flatnonzero(bad_token)
    records, first = np.unique(toks.record[idx], return_index=True)
    has = np.zeros(toks.n, dtype=bool)
    has[records] = True
    token = np.zeros(toks.n, dtype=np.int64)
    token[records] = idx[first]
    return has, token


def _width_check(toks: _Tokens, expected: int, what: str, fix: str) -> Check:
    count = toks.count

    def reasons(rows: np.ndarray) -> list[str]:
        return [f"expected {expected} fields ({what}), found {int(count[r])}" for r in rows]

    return Check(1, count != expected, reasons, fix)


def _token_check(
    toks: _Tokens, bad_token: np.ndarray, reason: Callable[[str], str], fix: str
) -> Check:
    has, token = _first_bad_token(toks, bad_token)

    def reasons(rows: np.ndarray) -> list[str]:
        return [reason(toks.token_text(int(token[r]))) for r in rows]

    return Check(toks.position[token] + 1, has, reasons, fix)


# -- one file each -------------------------------------------------------------------------------


def _read_edges(file: _File, settlement: Settlement) -> tuple[pa.Array, pa.Array]:
    """Follower and followed ids of the good lines of ``E.edges``."""
    toks = _Tokens(file)
    fix = "write each line as 'FOLLOWER FOLLOWED': two Twitter user ids separated by a space"
    width = _width_check(toks, 2, "follower followed", fix)
    ok = ~width.bad[toks.record]  # per token: its record has two fields
    ids = _token_check(toks, ~toks.digits(np.arange(len(toks.start))) & ok,
                       lambda t: f"node id '{t[:60]}' is not a number", _ID_FIX)
    good = settlement.settle([width, ids], toks.records(), table="follows")
    src = toks.first[good]
    return (toks.strings(toks.start[src], toks.end[src]),
            toks.strings(toks.start[src + 1], toks.end[src + 1]))


def _read_featnames(file: _File, settlement: Settlement) -> pa.Array:
    """The feature names of ``E.featnames`` by index (null for rejected lines)."""
    toks = _Tokens(file)
    fix = "write each line as 'INDEX NAME', indexes 0, 1, 2, ... in order"
    short = Check(1, toks.count < 2,
                  lambda rows: [f"expected an index and a name, found {int(toks.count[r])} "
                                "field(s)" for r in rows], fix)
    index_text = toks.strings(toks.start[toks.first], toks.end[toks.first])
    numeric = toks.digits(toks.first) & (toks.end[toks.first] - toks.start[toks.first] <= 18)
    index = pc.if_else(pa.array(numeric), index_text, "-1").cast(pa.int64()).to_numpy()
    order = Check(1, index != np.arange(toks.n),
                  lambda rows: [f"feature index '{toks.token_text(int(toks.first[r]))[:60]}' "
                                f"out of order, expected {int(r)}" for r in rows], fix)
    order.bad &= ~short.bad
    good = settlement.settle([short, order], toks.records(), table="users")
    # the name runs from the second token to the end of the line's last token
    last = toks.first + toks.count - 1
    second = np.minimum(toks.first + 1, last)
    names = toks.strings(toks.start[second], toks.end[last])
    return pc.if_else(pa.array(good), names, pa.scalar(None, pa.string()))


def _read_vectors(
    file: _File, k: int, settlement: Settlement, *, with_id: bool
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Node ids of the good rows of ``E.feat`` (``with_id``; empty for ``E.egofeat``) and the
    ``(row, feature)`` pairs whose value is 1."""
    toks = _Tokens(file)
    skip = 1 if with_id else 0
    what = f"node id and {k} feature values" if with_id else f"{k} feature values"
    fix = (f"give each line {'the node id and ' if with_id else ''}one 0/1 value per line of "
           "the .featnames file, separated by spaces")
    width = _width_check(toks, k + skip, what, fix)
    ok = ~width.bad
    value = toks.buf[toks.start]
    single = (toks.end - toks.start) == 1
    binary = single & ((value == 48) | (value == 49))
    is_value = toks.position >= skip
    checks = [width]
    if with_id:
        ids = toks.digits(toks.first)
        checks.append(Check(1, ~ids & ok, lambda rows: [
            f"node id '{toks.token_text(int(toks.first[r]))[:60]}' is not a number"
            for r in rows], _ID_FIX))
    checks.append(_token_check(toks, is_value & ~binary & ok[toks.record],
                               lambda t: f"feature value '{t[:60]}' is not 0 or 1", fix))
    good = settlement.settle(checks, toks.records(), table="users")
    ones = np.flatnonzero(is_value & binary & (value == 49) & good[toks.record])
    keep = np.cumsum(good) - 1  # row number among the good records
    rows, cols = keep[toks.record[ones]], toks.position[ones] - skip
    node = toks.first[good]
    if not with_id:
        return pa.array([], pa.string()), rows, cols
    return toks.strings(toks.start[node], toks.end[node]), rows, cols


# -- the loader ------------------------------------------------------------------------------------


@dataclass
class _Ego:
    edges: tuple[pa.Array, pa.Array]
    nodes: pa.Array  # every node of the network but the ego, distinct, sorted
    topic_users: pa.Array
    topic_names: pa.Array


def _topic_filter(names: pa.Array, include_mentions: bool, dropped: set[str]) -> np.ndarray:
    """Which feature names become topics; names holding ';' are added to ``dropped``."""
    pattern = "^[#@]" if include_mentions else "^#"
    wanted = pc.fill_null(pc.match_substring_regex(names, pattern), False)
    semicolon = pc.fill_null(pc.match_substring(names, ";"), False)
    dropped.update(names.filter(pc.and_(wanted, semicolon)).to_pylist())
    return np.asarray(pc.and_not(wanted, semicolon).to_numpy(zero_copy_only=False), dtype=bool)


def _read_ego(
    ego: str, files: dict[str, _File], settlement: Settlement, reports: dict[str, TableReport],
    include_mentions: bool, dropped: set[str],
) -> _Ego:
    if "edges" not in files:
        other = next(iter(files.values())).name
        raise SnapshotError(f"{other}: ego {ego} has no {ego}.edges file — every ego network "
                            "needs one (it may be empty)")
    src, dst = _read_edges(files["edges"], settlement)
    reports["follows"].files.append(files["edges"].name)
    ids = pa.array([], pa.string())
    user_parts: list[pa.Array] = []
    name_parts: list[pa.Array] = []
    vectors = [ext for ext in ("feat", "egofeat") if ext in files]
    if vectors:
        if "featnames" not in files:
            raise SnapshotError(f"{files[vectors[0]].name}: no {ego}.featnames file beside it "
                                "— the feature vectors cannot be named")
        names = _read_featnames(files["featnames"], settlement)
        keep = _topic_filter(names, include_mentions, dropped)
        for ext in vectors:
            reports["users"].files.append(files[ext].name)
            got, rows, cols = _read_vectors(files[ext], len(names), settlement,
                                            with_id=ext == "feat")
            mine = keep[cols]
            rows, cols = rows[mine], cols[mine]
            if ext == "feat":
                ids = got
                user_parts.append(got.take(pa.array(rows)))
            else:
                user_parts.append(pa.repeat(pa.scalar(ego, pa.string()), len(cols)))
            name_parts.append(names.take(pa.array(cols)))
        reports["users"].files.append(files["featnames"].name)
    nodes = pc.unique(pa.concat_arrays([src, dst, ids]))
    nodes = nodes.filter(pc.not_equal(nodes, ego))
    nodes = nodes.take(pc.sort_indices(nodes))
    return _Ego((src, dst), nodes, pa.concat_arrays([pa.array([], pa.string()), *user_parts]),
                pa.concat_arrays([pa.array([], pa.string()), *name_parts]))


def _users_table(egos: list[str], parts: list[_Ego]) -> pa.Table:
    ids = pc.unique(pa.concat_arrays([pa.array(egos, pa.string()), *(p.nodes for p in parts)]))
    users = pa.table({"id": ids.take(pc.sort_indices(ids))})
    pairs = pa.table({
        "id": pa.concat_arrays([p.topic_users for p in parts]),
        "topic": pa.concat_arrays([p.topic_names for p in parts]),
    })
    pairs = pairs.group_by(["id", "topic"]).aggregate([])  # distinct (user, name)
    pairs = pairs.sort_by([("id", "ascending"), ("topic", "ascending")])
    lists = pairs.group_by("id", use_threads=False).aggregate([("topic", "list")])
    topics = pa.table({"id": lists["id"], "topics": pc.binary_join(lists["topic_list"], ";")})
    users = users.join(topics, "id", join_type="left outer").sort_by("id")
    n = users.num_rows
    return pa.table({
        "id": users["id"],
        "name": pa.nulls(n, pa.string()),
        "created_at": pa.nulls(n, pa.timestamp("us")),
        "topics": users["topics"].cast(pa.string()),
        "attributes": pa.nulls(n, pa.string()),
    })


def read_ego_twitter(
    path: str | Path,
    *,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    include_mentions: bool = False,
    ego_follows: bool = True,
) -> Snapshot:
    """Read SNAP ego-Twitter networks: follows, and users with their hashtags as topics.

    Parameters
    ----------
    path : str or Path
        SNAP's ``twitter.tar.gz`` (read as a stream, never extracted), or a directory holding
        ``<ego>.edges`` (and ``.feat``, ``.egofeat``, ``.featnames``) files, directly or in a
        ``twitter/`` folder.
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): raise on the first bad record. ``"skip"``: return bad records in
        ``Snapshot.rejects`` and load the rest.
    interaction_types : iterable of str, optional
        Extra interaction types to allow (the format has no interactions; kept for symmetry).
    include_mentions : bool, optional
        Also make the ``@mention`` features topics (default: hashtags only).
    ego_follows : bool, optional
        Add SNAP's implicit follows of each ego to every node of its network (default True).

    Returns
    -------
    Snapshot
        ``users`` (one row per ego and alter, ``topics`` ``;``-joined) and ``follows``.

    Raises
    ------
    SnapshotError
        If ``path`` holds no ego network or a file is missing or unreadable.
    InputError
        On the first bad record with ``on_error="fail"``.

    Notes
    -----
    Reports keep ``read = loaded + rejected``: ``follows`` counts the ``.edges`` records plus
    the implicit ego follows; ``users`` counts the distinct users plus the rejected
    ``.feat``, ``.egofeat`` and ``.featnames`` records. Follow pairs repeated across ego
    networks are kept (the store merges them and reports them as duplicates).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "1.edges").write_text("2 3\\n")
    >>> _ = (d / "1.featnames").write_text("0 #python\\n1 @guido\\n")
    >>> _ = (d / "1.feat").write_text("2 1 1\\n3 0 1\\n")
    >>> snap = read_ego_twitter(d)
    >>> snap.tables["follows"].to_pydict()["dst"]
    ['3', '2', '3']
    >>> snap.tables["users"].to_pydict()["topics"]
    [None, '#python', None]
    """
    settlement = Settlement(on_error)
    path = Path(path)
    if _is_archive(path):
        source: Iterator[tuple[str, dict[str, _File]]] = _archive_egos(path)
        fingerprint_paths = [path]
    elif path.is_dir():
        found = find_ego_files(path)
        source = _directory_egos(found)
        fingerprint_paths = [p for files in found.values() for p in files.values()]
    else:
        raise SnapshotError(f"{path}: not an ego-Twitter directory or .tar.gz archive")
    reports = {name: TableReport(name) for name in TABLE_ORDER}
    dropped: set[str] = set()
    egos: dict[tuple[str, str], _Ego] = {}
    for ego, files in source:
        key = (ego, min(f.name for f in files.values()))  # order does not depend on the input
        egos[key] = _read_ego(ego, files, settlement, reports, include_mentions, dropped)
    if not egos:
        raise SnapshotError(f"{path}: no ego networks found — expected <ego>.edges files "
                            "(with .feat, .egofeat, .featnames), or SNAP's twitter.tar.gz")
    if dropped:
        logger.info("%s: %d feature names hold ';' and were dropped from topics (e.g. %s)",
                    path, len(dropped), ", ".join(sorted(dropped)[:5]))
    order = sorted(egos)
    parts = [egos[k] for k in order]
    src_parts, dst_parts = [], []
    for (ego, _), part in zip(order, parts, strict=True):
        src_parts.append(part.edges[0])
        dst_parts.append(part.edges[1])
        if ego_follows:
            src_parts.append(pa.repeat(pa.scalar(ego, pa.string()), len(part.nodes)))
            dst_parts.append(part.nodes)
    src, dst = pa.concat_arrays(src_parts), pa.concat_arrays(dst_parts)
    tables = {name: empty_table(TABLES[name]) for name in TABLE_ORDER}
    tables["follows"] = pa.table({"src": src, "dst": dst,
                                  "ts": pa.nulls(len(src), pa.timestamp("us"))})
    tables["users"] = _users_table([k[0] for k in order], parts)
    for name in TABLE_ORDER:
        r = reports[name]
        r.loaded = tables[name].num_rows
        r.rejected = settlement.rejected(name)
        r.read = r.loaded + r.rejected
    return Snapshot(
        source=str(path),
        format="ego-twitter",
        tables=tables,
        reports=reports,
        rejects=settlement.rejects(),
        fingerprint=fingerprint_files(fingerprint_paths),
        interaction_types=sorted(set(DEFAULT_INTERACTION_TYPES)
                                 | {t.strip().lower() for t in interaction_types}),
    )


def _read(path: Path, options: ReadOptions) -> Snapshot:
    return read_ego_twitter(path, on_error=options.on_error,
                            interaction_types=options.interaction_types)


#: ``--format ego-twitter``.
IMPORTER = Importer(
    name="ego-twitter",
    summary="SNAP ego-Twitter networks (twitter.tar.gz or its <id>.edges/.featnames files)",
    read=_read,
    detect=is_ego_twitter,
    precedence=20,
)
