"""The bad-input matrix (issue 13): small inputs with ONE defect each, or valid but tricky.

Every case carries its expected outcome, computed here from the rows the case is built of and
never from the product's code: which rows are bad (table, file, 1-based physical line and
column, or Parquet ``row N``), which rows are accepted (the keys they add to a store), or that
the whole file is at fault (it fails in both modes). ``tests/test_bad_input_matrix.py`` runs
each case through the CLI on both stores and both ``--on-error`` modes.

Keys a case adds, per table (the store is compared with the baseline plus these):

- ``users``: ``(id, name)`` (``name`` None for a user created by an edge or a post);
- ``follows``: ``(src, dst)``; ``interactions``: ``(src, dst, type)`` (a multiset);
- ``posts``: ``id``.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass, field

TABLES = ("users", "follows", "interactions", "posts")


@dataclass(frozen=True)
class Bad:
    """A row at fault: where it is (``line``/``column``, or ``row`` in a Parquet file: the row
    index counted from 0, the README's convention for files without lines, as in pyarrow)."""

    table: str | None  # None: any table (a social format decides which table a record feeds)
    file: str
    line: int | None = None
    column: int | None = None
    row: int | None = None
    why: str = ""

    @property
    def where(self) -> str:
        """The location the one-line message must contain."""
        if self.row is not None:
            return f"row {self.row}"
        if self.column is None:
            return f"{self.file}:{self.line}:"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass
class Case:
    id: str
    bullet: str  # the matrix bullet it belongs to (ids, types, timestamps, ...)
    files: dict[str, bytes]
    target: str  # what to load, relative to the case folder ("." = the folder itself)
    args: tuple[str, ...] = ()
    bad: tuple[Bad, ...] = ()
    fatal: str | None = None  # a file at fault as a whole: its name is in the message
    fatal_at: str | None = None  # ... and where it is at fault, when one place is (FILE:LINE:COL)
    adds: dict[str, list] = field(default_factory=dict)  # keys the accepted rows add
    loaded: dict[str, int] = field(default_factory=dict)  # the report's `loaded` per table

    @property
    def valid(self) -> bool:
        return not self.bad and self.fatal is None


# -- baseline: loaded into every fresh store before the case ------------------------------
BASELINE = {
    "users.csv": b"id,name\nbase1,Base One\nbase2,Base Two\n",
    "follows.csv": b"src,dst,ts\nbase1,base2,2023-06-01T00:00:00Z\n",
    "interactions.csv": b"src,dst,type,ts\nbase2,base1,retweet,2023-06-02T00:00:00Z\n",
    "posts.csv": b"id,author,ts,text\nbp1,base1,2023-06-01T00:00:00Z,baseline post\n",
}
BASELINE_KEYS = {
    "users": [("base1", "Base One"), ("base2", "Base Two")],
    "follows": [("base1", "base2")],
    "interactions": [("base2", "base1", "retweet")],
    "posts": ["bp1"],
}

# -- the tables a directory case is built from ---------------------------------------------
HEADERS = {
    "users": ["id", "name"],
    "follows": ["src", "dst", "ts"],
    "interactions": ["src", "dst", "type", "ts", "weight"],
    "posts": ["id", "author", "ts", "text"],
}
GOOD = {
    "users": [["u1", "User One"], ["u2", "User Two"], ["u3", "User Three"]],
    "follows": [["u1", "u2", "2024-01-01T00:00:00Z"], ["u2", "u3", "2024-01-02T00:00:00Z"],
                ["u3", "u1", "2024-01-03T00:00:00Z"]],
    "interactions": [["u1", "u2", "retweet", "2024-01-03T00:00:00Z", "1"],
                     ["u3", "u1", "reply", "2024-01-04T00:00:00Z", "2"],
                     ["u2", "u3", "like", "2024-01-05T00:00:00Z", "0.5"]],
    "posts": [["p1", "u1", "2024-01-01T00:00:00Z", "hello"],
              ["p2", "u2", "2024-01-02T00:00:00Z", "world"],
              ["p3", "u3", "2024-01-03T00:00:00Z", "again"]],
}
#: The row a defect is put into (a row of its own, so that its keys are new).
TEMPLATE = {
    "users": ["x9", "Row Nine"],
    "follows": ["x9", "y9", "2024-02-01T00:00:00Z"],
    "interactions": ["x9", "y9", "mention", "2024-02-01T00:00:00Z", "1"],
    "posts": ["q9", "x9", "2024-02-01T00:00:00Z", "text nine"],
}


def row_keys(table: str, row: dict) -> dict[str, list]:
    """The keys one accepted row adds (users created by edges and posts included)."""
    if table == "users":
        return {"users": [(row["id"], row.get("name"))]}
    if table == "follows":
        return {"follows": [(row["src"], row["dst"])],
                "users": [(row["src"], None), (row["dst"], None)]}
    if table == "interactions":
        return {"interactions": [(row["src"], row["dst"], row["type"].lower())],
                "users": [(row["src"], None), (row["dst"], None)]}
    return {"posts": [row["id"]], "users": [(row["author"], None)]}


def merge_keys(rows: list[tuple[str, dict]]) -> dict[str, list]:
    """Keys of accepted rows: users deduplicated by id (a users-table name wins), follows and
    posts by key, interactions kept as a multiset."""
    users: dict[str, str | None] = {}
    out: dict[str, list] = {"follows": [], "interactions": [], "posts": []}
    for table, row in rows:
        for t, keys in row_keys(table, row).items():
            for k in keys:
                if t == "users":
                    if users.get(k[0]) is None:
                        users[k[0]] = k[1]
                elif t == "interactions" or k not in out[t]:
                    out[t].append(k)
    out["users"] = list(users.items())
    return {t: v for t, v in out.items() if v}


def csv_line(fields: list[str], sep: str = ",") -> str:
    return sep.join(fields)


def table_text(table: str, rows: list[list[str]], header: list[str] | None = None,
               sep: str = ",", end: str = "\n") -> str:
    header = header or HEADERS[table]
    return end.join([csv_line(header, sep)] + [csv_line(r, sep) for r in rows]) + end


def _dicts(table: str, rows: list[list[str]], header: list[str] | None = None) -> list[dict]:
    header = header or HEADERS[table]
    return [dict(zip(header, r, strict=False)) for r in rows]


CASES: list[Case] = []


def add(case: Case) -> Case:
    assert case.id not in {c.id for c in CASES}, case.id
    CASES.append(case)
    return case


def dir_case(cid: str, bullet: str, table: str, *, column: str | None = None,
             value: str | None = None, raw: str | None = None, valid: bool = False,
             position: int = 1, expect_row: dict | None = None, sep: str = ",",
             suffix: str = ".csv") -> Case:
    """A snapshot directory with one table: the good rows and, at ``position`` (0-based among
    the data rows), the template row with ``column`` set to ``value`` (or the ``raw`` line).

    ``valid``: the row is fine and adds ``expect_row`` (default: the row as written)."""
    good = [list(r) for r in GOOD[table]]
    header = HEADERS[table]
    if raw is None:
        row = list(TEMPLATE[table])
        row[header.index(column)] = value
        line_text = csv_line(row, sep)
    else:
        row, line_text = None, raw
    lines = [csv_line(header, sep)] + [csv_line(r, sep) for r in good]
    lines.insert(1 + position, line_text)
    text = "\n".join(lines) + "\n"
    name = f"{table}{suffix}"
    accepted = [(table, d) for d in _dicts(table, good)]
    if valid:
        accepted.append((table, expect_row or dict(zip(header, row, strict=True))))
        bad: tuple[Bad, ...] = ()
    else:
        col = None if column is None else header.index(column) + 1
        bad = (Bad(table, name, line=2 + position, column=col, why=bullet),)
    return add(Case(cid, bullet, {name: text.encode("utf-8")}, ".", bad=bad,
                    adds=merge_keys(accepted), loaded={table: len(accepted)}))


# -- ids ---------------------------------------------------------------------------------
INJECTIONS = {
    "cypher_detach": "') DETACH DELETE n //",
    "cypher_match": "x'}) MATCH (n) DETACH DELETE n //",
    "sql_drop": "'; DROP TABLE users; --",
    "sql_quote": "O'Brien\"s",
    "braces": "{{",
    "braces_close": "}}{0}%s",
    "backtick": "`User` RETURN 1",
    "dollar": "$param",
    "backslash": "a\\b\\",
}
for table, col in (("users", "id"), ("follows", "src"), ("follows", "dst"),
                   ("interactions", "src"), ("interactions", "dst"), ("posts", "id"),
                   ("posts", "author")):
    dir_case(f"ids-empty-{table}-{col}", "ids: empty", table, column=col, value="")
    dir_case(f"ids-blank-{table}-{col}", "ids: whitespace only", table, column=col,
             value="   ")
# Ids are at most MAX_ID_BYTES (4,096) bytes of UTF-8 in both stores (Neo4j cannot index 8 KB).
for col in ("src", "dst"):
    dir_case(f"ids-huge-follows-{col}", "ids: huge (10,000 chars)", "follows", column=col,
             value="h" * 10_000)
    dir_case(f"ids-longest-follows-{col}", "ids: 4,096 bytes (the limit)", "follows",
             column=col, value="é" * 2048, valid=True)
    dir_case(f"ids-one-over-follows-{col}", "ids: 4,097 bytes", "follows", column=col,
             value="x" + "é" * 2048)
dir_case("ids-huge-users", "ids: huge (10,000 chars)", "users", column="id", value="H" * 10_000)
dir_case("ids-longest-posts", "ids: 4,096 bytes (the limit)", "posts", column="id",
         value="p" * 4096, valid=True)
dir_case("ids-huge-posts", "ids: huge (10,000 chars)", "posts", column="id", value="P" * 10_000)
for label, uid in (("accents", "Ünïcødé"), ("cjk", "用户七"), ("emoji", "🦄user"),
                   ("rtl", "משתמש"), ("combining", "e\u0301e")):
    dir_case(f"ids-unicode-{label}", "ids: unicode", "follows", column="src", value=uid,
             valid=True)
for label, text in INJECTIONS.items():
    quoted = '"' + text.replace('"', '""') + '"' if any(c in text for c in ",\"") else text
    dir_case(f"ids-inject-{label}-users", "ids: injection string", "users", column="id",
             value=quoted, valid=True, expect_row={"id": text, "name": "Row Nine"})
    dir_case(f"ids-inject-{label}-interactions", "ids: injection string", "interactions",
             column="dst", value=quoted, valid=True,
             expect_row={"src": "x9", "dst": text, "type": "mention"})

# -- types -------------------------------------------------------------------------------
for label, t in (("poke", "poke"), ("follow", "follow"), ("empty", ""), ("typo", "retweeet"),
                 ("space", "re tweet")):
    dir_case(f"types-unknown-{label}", "types: unknown", "interactions", column="type", value=t)
for label, t in (("upper", "RETWEET"), ("title", "Reply"), ("mixed", "mEnTiOn")):
    dir_case(f"types-case-{label}", "types: case", "interactions", column="type", value=t,
             valid=True)

# -- timestamps --------------------------------------------------------------------------
for label, ts in (("garbage", "yesterday"), ("nan", "nan"), ("NaN", "NaN"), ("inf", "inf"),
                  ("neg_inf", "-inf"), ("date_garbage", "2024-13-45"), ("bool", "true"),
                  ("epoch_us_wrong_unit", "1704067200000000"),
                  ("epoch_ms_wrong_unit", "1704067200000"), ("year_10000", "10000-01-01")):
    dir_case(f"ts-bad-{label}-interactions", "timestamps: " + label, "interactions",
             column="ts", value=ts)
    if label in ("garbage", "nan", "inf", "epoch_ms_wrong_unit"):
        dir_case(f"ts-bad-{label}-follows", "timestamps: " + label, "follows", column="ts",
                 value=ts)
for label, ts in (("pre1970_fraction", "-86400.5"), ("pre1970_iso", "1969-07-20T20:17:40.5Z"),
                  ("far_future", "2999-12-31T23:59:59Z"),
                  ("twitter", "Wed Oct 10 20:19:24 +0000 2018"),
                  ("epoch_fraction", "1704067200.25"), ("empty", "")):
    dir_case(f"ts-ok-{label}", "timestamps: " + label, "interactions", column="ts", value=ts,
             valid=True)

# -- weights -----------------------------------------------------------------------------
for label, w in (("negative", "-1"), ("nan", "nan"), ("text", "heavy"), ("inf", "inf"),
                 ("neg_zero_text", "--0")):
    dir_case(f"weight-bad-{label}", "weights: " + label, "interactions", column="weight",
             value=w)
for label, w in (("zero", "0"), ("big", "1e6"), ("empty", "")):
    dir_case(f"weight-ok-{label}", "weights: " + label, "interactions", column="weight",
             value=w, valid=True)

# -- malformed rows ----------------------------------------------------------------------
for table in ("follows", "interactions", "users"):
    tmpl = TEMPLATE[table]
    dir_case(f"rows-too-many-{table}", "malformed: too many fields", table,
             raw=csv_line(tmpl + ["extra"]))
    dir_case(f"rows-too-few-{table}", "malformed: too few fields", table,
             raw=csv_line(tmpl[:1]))
dir_case("rows-comment-midfile", "malformed: mid-file comment", "follows",
         raw="# a comment, in the middle")
dir_case("rows-comment-midfile-interactions", "malformed: mid-file comment", "interactions",
         raw="# x9,y9,mention")
# an unterminated quote in the last row: the row runs to the end of the file
_text = table_text("follows", GOOD["follows"]) + 'x9,"y9,2024-02-01T00:00:00Z\n'
add(Case("rows-unterminated-quote", "malformed: unterminated quote",
         {"follows.csv": _text.encode()}, ".",
         bad=(Bad("follows", "follows.csv", line=5, why="unterminated quote"),),
         adds=merge_keys([("follows", d) for d in _dicts("follows", GOOD["follows"])]),
         loaded={"follows": 3}))

# -- encodings ---------------------------------------------------------------------------
_good_users = [("users", d) for d in _dicts("users", GOOD["users"])]
add(Case("enc-bom", "encodings: BOM",
         {"users.csv": b"\xef\xbb\xbf" + table_text("users", GOOD["users"]).encode()}, ".",
         adds=merge_keys(_good_users), loaded={"users": 3}))
add(Case("enc-bom-follows", "encodings: BOM",
         {"follows.csv": b"\xef\xbb\xbf" + table_text("follows", GOOD["follows"]).encode()}, ".",
         adds=merge_keys([("follows", d) for d in _dicts("follows", GOOD["follows"])]),
         loaded={"follows": 3}))
# A file that is not UTF-8 is at fault as a whole (skipping its rows would silently drop every
# row with an accent): both modes fail, naming the first bad byte's line and column.
for label, raw, col in (("latin1", "x9,Ren\xe9e".encode("latin-1"), 7),
                        ("invalid_utf8", b"x9,ab\xff\xfe", 6),
                        ("truncated_utf8", b"x9,caf\xc3", 7)):
    text = table_text("users", GOOD["users"]).encode()
    lines = text.split(b"\n")
    lines.insert(2, raw)
    add(Case(f"enc-{label}", f"encodings: {label}", {"users.csv": b"\n".join(lines)}, ".",
             fatal="users.csv", fatal_at=f"users.csv:3:{col}"))
for label, end in (("cr_only", "\r"), ("crlf", "\r\n")):
    add(Case(f"enc-{label}", f"encodings: {label} line endings",
             {"users.csv": table_text("users", GOOD["users"], end=end).encode()}, ".",
             adds=merge_keys(_good_users), loaded={"users": 3}))
# a bad row after CRLF lines is still on its physical line
_crlf = table_text("interactions", GOOD["interactions"][:1] + [
    ["x9", "y9", "poke", "", "1"]] + GOOD["interactions"][1:], end="\r\n")
add(Case("enc-crlf-bad-row", "encodings: crlf + unknown type", {"interactions.csv": _crlf.encode()},
         ".", bad=(Bad("interactions", "interactions.csv", line=3, column=3),),
         adds=merge_keys([("interactions", d)
                          for d in _dicts("interactions", GOOD["interactions"])]),
         loaded={"interactions": 3}))


# -- JSONL snapshot tables ---------------------------------------------------------------
def jsonl_case(cid: str, bullet: str, bad_line: str | None, *, valid_row: dict | None = None,
               column: int | None = None) -> Case:
    good = [json.dumps(dict(zip(HEADERS["follows"], r, strict=True))) for r in GOOD["follows"]]
    lines = list(good)
    accepted = [("follows", d) for d in _dicts("follows", GOOD["follows"])]
    lines.insert(1, bad_line if bad_line is not None else json.dumps(valid_row))
    bad: tuple[Bad, ...] = ()
    if bad_line is None:
        accepted.append(("follows", {k: str(v) for k, v in valid_row.items()}))
    else:
        bad = (Bad("follows", "follows.jsonl", line=2, column=column, why=bullet),)
    return add(Case(cid, bullet, {"follows.jsonl": ("\n".join(lines) + "\n").encode()}, ".",
                    bad=bad, adds=merge_keys(accepted), loaded={"follows": len(accepted)}))


jsonl_case("jsonl-invalid-line", "jsonl: invalid line", '{"src": "x9", "dst": ')
jsonl_case("jsonl-not-json", "jsonl: invalid line", "src=x9 dst=y9")
jsonl_case("jsonl-array-line", "jsonl: array line", '["x9", "y9", "2024-02-01T00:00:00Z"]')
jsonl_case("jsonl-scalar-line", "jsonl: array line", '"x9"')
jsonl_case("jsonl-nested-src", "jsonl: nested value", '{"src": {"id": "x9"}, "dst": "y9"}')
jsonl_case("jsonl-list-dst", "jsonl: nested value", '{"src": "x9", "dst": ["y9"]}')
jsonl_case("jsonl-null-src", "jsonl: null id", '{"src": null, "dst": "y9"}')
jsonl_case("jsonl-bool-src", "jsonl: bool id", '{"src": true, "dst": "y9"}')
jsonl_case("jsonl-mixed-int-id", "jsonl: mixed-type ids", None,
           valid_row={"src": 9, "dst": "y9"})
jsonl_case("jsonl-id-over-int64", "jsonl: id > int64", None,
           valid_row={"src": 123456789012345678901234567890, "dst": "y9"})
jsonl_case("jsonl-id-int64-max", "jsonl: id = int64 max", None,
           valid_row={"src": 9223372036854775807, "dst": "y9"})
jsonl_case("jsonl-missing-dst", "jsonl: missing required key", '{"src": "x9"}')

# -- files -------------------------------------------------------------------------------
add(Case("file-missing-column", "files: missing required column",
         {"interactions.csv": b"src,dst,ts\nu1,u2,2024-01-01\n"}, ".", fatal="interactions.csv"))
add(Case("file-missing-column-users", "files: missing required column",
         {"users.csv": b"name\nAlice\n"}, ".", fatal="users.csv"))
add(Case("file-duplicate-header", "files: duplicate header",
         {"follows.csv": b"src,dst,dst\nu1,u2,u3\n"}, ".", fatal="follows.csv"))
add(Case("file-empty", "files: empty file", {"follows.csv": b""}, ".", fatal="follows.csv"))
add(Case("file-header-only", "files: header only (valid, no rows)",
         {"follows.csv": b"src,dst,ts\n"}, ".", loaded={"follows": 0}))
_gz = gzip.compress(table_text("follows", GOOD["follows"] * 1).encode() * 40)
add(Case("file-truncated-gz", "files: truncated .gz", {"follows.csv.gz": _gz[: len(_gz) // 2]},
         ".", fatal="follows.csv.gz"))
add(Case("file-not-gzip", "files: .gz that is not gzip",
         {"follows.csv.gz": table_text("follows", GOOD["follows"]).encode()}, ".",
         fatal="follows.csv.gz"))
add(Case("edgelist-empty-file", "files: empty edge list", {"edges.txt": b""}, "edges.txt",
         fatal="edges.txt"))


def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def parquet_cases() -> None:
    """Parquet cases (built lazily: pyarrow is imported only here)."""
    import datetime as dt

    import pyarrow as pa

    good = [("follows", d) for d in _dicts("follows", GOOD["follows"])]
    src = [r[0] for r in GOOD["follows"]]
    dst = [r[1] for r in GOOD["follows"]]
    add(Case("parquet-nested-src", "files: Parquet nested column", {"follows.parquet": _parquet(
        pa.table({"src": [{"id": s} for s in src], "dst": dst}))}, ".", fatal="follows.parquet"))
    add(Case("parquet-list-src", "files: Parquet list column", {"follows.parquet": _parquet(
        pa.table({"src": [[s] for s in src], "dst": dst}))}, ".", fatal="follows.parquet"))
    add(Case("parquet-date32-ts", "files: Parquet date32 column", {"follows.parquet": _parquet(
        pa.table({"src": src, "dst": dst, "ts": pa.array(
            [dt.date(2024, 1, i + 1) for i in range(3)], pa.date32())}))}, ".",
        adds=merge_keys(good), loaded={"follows": 3}))
    add(Case("parquet-bool-ts", "timestamps: bool in Parquet", {"follows.parquet": _parquet(
        pa.table({"src": src, "dst": dst, "ts": [True, False, True]}))}, ".",
        bad=tuple(Bad("follows", "follows.parquet", row=n, column=3) for n in (0, 1, 2)),
        loaded={"follows": 0}))
    add(Case("parquet-null-src", "ids: null in Parquet", {"follows.parquet": _parquet(
        pa.table({"src": [src[0], None, src[2]], "dst": dst}))}, ".",
        bad=(Bad("follows", "follows.parquet", row=1),),
        adds=merge_keys([good[0], good[2]]), loaded={"follows": 2}))
    add(Case("parquet-nan-ts", "timestamps: nan in Parquet", {"follows.parquet": _parquet(
        pa.table({"src": src, "dst": dst, "ts": [1.7e9, float("nan"), 1.7e9]}))}, ".",
        bad=(Bad("follows", "follows.parquet", row=1),),
        adds=merge_keys([good[0], good[2]]), loaded={"follows": 2}))
    add(Case("parquet-int-ids", "ids: integers in Parquet", {"follows.parquet": _parquet(
        pa.table({"src": [1, 2, 3], "dst": [2, 3, 1]}))}, ".",
        adds=merge_keys([("follows", {"src": a, "dst": b})
                         for a, b in (("1", "2"), ("2", "3"), ("3", "1"))]),
        loaded={"follows": 3}))
    add(Case("parquet-missing-column", "files: missing required column (Parquet)",
             {"follows.parquet": _parquet(pa.table({"src": src}))}, ".", fatal="follows.parquet"))


parquet_cases()


# -- edge lists --------------------------------------------------------------------------
def edgelist_case(cid: str, bullet: str, lines: list[str], *, bad_line: int | None = None,
                  bad_column: int | None = None, pairs: list[tuple[str, str]] = (),
                  name: str = "edges.txt", args: tuple[str, ...] = (), kind: str = "follows",
                  fatal: bool = False) -> Case:
    text = "\n".join(lines) + "\n"
    t = "follows" if kind == "follows" else "interactions"
    rows = [(t, {"src": a, "dst": b, "type": kind}) for a, b in pairs]
    bad = () if bad_line is None else (Bad(t, name, line=bad_line, column=bad_column),)
    return add(Case(cid, bullet, {name: text.encode()}, name, args=args, bad=bad,
                    fatal=name if fatal else None, adds=merge_keys(rows),
                    loaded={} if fatal else {t: len(rows)}))


edgelist_case("edgelist-trailing-spaces", "tricky: trailing spaces in a SNAP edge list",
              ["1 2 ", "2 3  ", "3 1\t"], pairs=[("1", "2"), ("2", "3"), ("3", "1")])
edgelist_case("edgelist-comments", "tricky: SNAP comments", ["# Directed graph", "% also", "1 2",
              "# mid-file comment", "2 3"], pairs=[("1", "2"), ("2", "3")])
edgelist_case("edgelist-tabs", "tricky: tab separated", ["1\t2", "2\t3"],
              pairs=[("1", "2"), ("2", "3")])
edgelist_case("edgelist-crlf", "encodings: crlf edge list", ["1 2\r", "2 3\r"],
              pairs=[("1", "2"), ("2", "3")])
edgelist_case("edgelist-bad-weight", "weights: text in an edge list", ["1 2 1", "2 3 heavy",
              "3 1 2"], bad_line=2, bad_column=3, pairs=[("1", "2"), ("3", "1")],
              args=("--type", "retweet"), kind="retweet")
edgelist_case("edgelist-negative-weight", "weights: negative in an edge list",
              ["1 2 1", "2 3 -4", "3 1 2"], bad_line=2, bad_column=3,
              pairs=[("1", "2"), ("3", "1")], args=("--type", "retweet"), kind="retweet")
edgelist_case("edgelist-nan-weight", "weights: nan in an edge list", ["1 2 1", "2 3 nan"],
              bad_line=2, bad_column=3, pairs=[("1", "2")], args=("--type", "reply"),
              kind="reply")
edgelist_case("edgelist-too-many", "malformed: too many fields (edge list)",
              ["1 2", "2 3 1 9 9", "3 1"], bad_line=2, pairs=[("1", "2"), ("3", "1")])
edgelist_case("edgelist-too-few", "malformed: too few fields (edge list)",
              ["1 2", "7", "3 1"], bad_line=2, pairs=[("1", "2"), ("3", "1")])
edgelist_case("edgelist-header", "tricky: header row", ["source target", "1 2", "2 3"],
              pairs=[("1", "2"), ("2", "3")])
edgelist_case("edgelist-bad-ts", "timestamps: garbage (edge list)",
              ["src,dst,ts", "1,2,2024-01-01", "2,3,soon"], bad_line=3, bad_column=3,
              pairs=[("1", "2")], name="edges.csv")
edgelist_case("edgelist-unicode", "ids: unicode (edge list)", ["älice bøb", "bøb 用户"],
              pairs=[("älice", "bøb"), ("bøb", "用户")])
edgelist_case("edgelist-injection", "ids: injection string (edge list)",
              ["')//DETACH 1", "{{ 2"], pairs=[("')//DETACH", "1"), ("{{", "2")])
_gz_edges = gzip.compress(b"1 2\n2 3\n" * 500)
add(Case("edgelist-truncated-gz", "files: truncated .gz (edge list)",
         {"edges.txt.gz": _gz_edges[: len(_gz_edges) // 2]}, "edges.txt.gz",
         fatal="edges.txt.gz"))


# -- tables with named columns ---------------------------------------------------------------
def table_case(cid: str, bullet: str, name: str, text: str, *, args=("--src", "a", "--dst", "b"),
               bad: tuple[Bad, ...] = (), pairs=(), kind: str = "follows",
               fatal: bool = False) -> Case:
    t = "follows" if kind == "follows" else "interactions"
    rows = [(t, {"src": a, "dst": b, "type": k}) for a, b, k in
            ((p[0], p[1], p[2] if len(p) > 2 else kind) for p in pairs)]
    return add(Case(cid, bullet, {name: text.encode()}, name, args=tuple(args), bad=bad,
                    fatal=name if fatal else None, adds=merge_keys(rows),
                    loaded={} if fatal else {t: len(rows)}))


table_case("table-csv-bad-ts", "timestamps: garbage (table)", "t.csv",
           "a,b,when\n1,2,2024-01-01\n3,4,yesterday\n5,6,\n",
           args=("--src", "a", "--dst", "b", "--ts", "when"),
           bad=(Bad("follows", "t.csv", line=3, column=3),), pairs=[("1", "2"), ("5", "6")])
table_case("table-csv-missing-mapped", "files: missing mapped column (table)", "t.csv",
           "a,c\n1,2\n", fatal=True)
add(Case("table-csv-unknown-type", "types: unknown (table type column)",
         {"t.csv": b"a,b,kind\n1,2,retweet\n3,4,poke\n5,6,follow\n"}, "t.csv",
         args=("--src", "a", "--dst", "b", "--type", "kind"),
         bad=(Bad("interactions", "t.csv", line=3, column=3),),
         adds=merge_keys([("interactions", {"src": "1", "dst": "2", "type": "retweet"}),
                          ("follows", {"src": "5", "dst": "6"})]),
         loaded={"interactions": 1, "follows": 1}))
table_case("table-json-bad-ts", "timestamps: garbage (JSON array)", "t.json",
           '[\n {"a": "1", "b": "2", "at": 1700000000},\n'
           ' {"a": "3", "b": "4", "at": "next tuesday"}\n]\n',
           args=("--src", "a", "--dst", "b", "--ts", "at"),
           bad=(Bad("follows", "t.json", line=3),), pairs=[("1", "2")])
table_case("table-jsonl-nested-mapped", "jsonl: nested value in a mapped column", "t.jsonl",
           '{"a": "1", "b": "2"}\n{"a": {"x": 1}, "b": "4"}\n',
           bad=(Bad("follows", "t.jsonl", line=2),), pairs=[("1", "2")])
table_case("table-jsonl-nested-unmapped", "tricky: nested value in an unmapped column", "t.jsonl",
           '{"a": "1", "b": "2", "meta": {"x": [1, 2]}}\n{"a": "3", "b": "4", "meta": null}\n',
           pairs=[("1", "2"), ("3", "4")])
table_case("table-jsonl-mixed-ids", "jsonl: mixed-type ids (table)", "t.jsonl",
           '{"a": 1, "b": "2"}\n{"a": "1", "b": 2}\n{"a": 18446744073709551616, "b": "3"}\n',
           pairs=[("1", "2"), ("1", "2"), ("18446744073709551616", "3")])
table_case("table-jsonl-invalid-line", "jsonl: invalid line (table)", "t.jsonl",
           '{"a": "1", "b": "2"}\n{"a": "3", "b"\n{"a": "5", "b": "6"}\n',
           bad=(Bad(None, "t.jsonl", line=2),), pairs=[("1", "2"), ("5", "6")])
table_case("table-tsv-weight-text", "weights: text (table)", "t.tsv",
           "a\tb\tw\n1\t2\t1\n3\t4\tlots\n",
           args=("--src", "a", "--dst", "b", "--weight", "w", "--type", "reply"),
           bad=(Bad("interactions", "t.tsv", line=3, column=3),), pairs=[("1", "2")],
           kind="reply")
table_case("table-csv-epoch-ms", "timestamps: epoch ms with --ts-unit ms (table)", "t.csv",
           "a,b,t\n1,2,1704067200000\n",
           args=("--src", "a", "--dst", "b", "--ts", "t", "--ts-unit", "ms"), pairs=[("1", "2")])
table_case("table-csv-epoch-ms-wrong-unit", "timestamps: epoch ms read as seconds (table)",
           "t.csv", "a,b,t\n1,2,1704067200\n3,4,1704067200000000\n",
           args=("--src", "a", "--dst", "b", "--ts", "t"),
           bad=(Bad("follows", "t.csv", line=3, column=3),), pairs=[("1", "2")])

# -- Twitter -----------------------------------------------------------------------------


def _tweet(tid: str, author: str, **extra) -> dict:
    return {"id": tid, "author_id": author, "text": f"tweet {tid}",
            "created_at": "2024-01-01T00:00:00.000Z", **extra}


def twitter_case(cid: str, bullet: str, middle: str | None, *, extra_tweet: dict | None = None,
                 bad_column: int | None = None, n_bad: int = 1) -> Case:
    good = [_tweet("1001", "501"), _tweet("1002", "502")]
    lines = [json.dumps(good[0]), json.dumps(good[1])]
    tweets = list(good)
    if middle is not None:
        lines.insert(1, middle)
    if extra_tweet is not None:
        lines.insert(1, json.dumps(extra_tweet))
        tweets.append(extra_tweet)
    bad = () if middle is None else (Bad(None, "tweets.jsonl", line=2, column=bad_column),) * n_bad
    adds = merge_keys([("posts", {"id": t["id"], "author": t["author_id"]}) for t in tweets])
    return add(Case(cid, bullet, {"tweets.jsonl": ("\n".join(lines) + "\n").encode()},
                    "tweets.jsonl", args=("--format", "twitter"), bad=bad, adds=adds,
                    loaded={"posts": len(tweets)}))


twitter_case("twitter-invalid-line", "jsonl: invalid line (twitter)", '{"id": "1003", "author')
# a JSON array holds records (API v1.1 answers are arrays): each of its three is not a tweet
twitter_case("twitter-array-line", "jsonl: array line (twitter)", '[1, 2, 3]', n_bad=3)
twitter_case("twitter-bad-created-at", "timestamps: garbage (twitter)",
             json.dumps(_tweet("1003", "503", created_at="not a date")))
twitter_case("twitter-nested-author", "jsonl: nested value (twitter author_id)",
             json.dumps(_tweet("1003", "503", author_id={"id": "503"})))
twitter_case("twitter-ok-unicode", "ids: unicode text (twitter)", None,
             extra_tweet=_tweet("1003", "503", text="ünï 🦄 \u202e\n{{') DETACH DELETE n //"))
twitter_case("twitter-ok-big-id", "ids: > int64 (twitter)", None,
             extra_tweet=_tweet("99999999999999999999999", "503"))

# -- valid but tricky --------------------------------------------------------------------
MB = 1 << 20
add(Case("tricky-1mb-name", "tricky: value of 1 MB",
         {"users.csv": table_text("users", GOOD["users"] + [["x9", "n" * MB]]).encode()}, ".",
         adds=merge_keys(_good_users + [("users", {"id": "x9", "name": "n" * MB})]),
         loaded={"users": 4}))
add(Case("tricky-1mb-post-text", "tricky: value of 1 MB",
         {"posts.csv": table_text("posts", GOOD["posts"] + [["q9", "x9", "", "t" * MB]]).encode()},
         ".", adds=merge_keys([("posts", d) for d in _dicts("posts", GOOD["posts"])]
                              + [("posts", {"id": "q9", "author": "x9"})]), loaded={"posts": 4}))
for label, name, raw in (
    ("quotes", 'say "hi"', '"say ""hi"""'),
    ("newline", "line1\nline2", '"line1\nline2"'),
    ("crlf_in_value", "a\r\nb", '"a\r\nb"'),
    ("comma", "Doe, Jane", '"Doe, Jane"'),
    ("deleted", "[deleted]", "[deleted]"),
    ("markup", "[bold]x[/bold]", "[bold]x[/bold]"),
    ("hyperlink", '=HYPERLINK("http://evil","x")', '"=HYPERLINK(""http://evil"",""x"")"'),
    ("formula_plus", "+cmd|' /C calc'!A0", "+cmd|' /C calc'!A0"),
    ("control", "\x1b[31mred", "\x1b[31mred"),
    ("trailing_space", "Name  ", "Name  "),
):
    dir_case(f"tricky-name-{label}", f"tricky: {label} in a name", "users", raw=f"x9,{raw}",
             valid=True, expect_row={"id": "x9", "name": name})
# a quoted multi-line value moves the physical line of a later bad row
_ml = table_text("users", [["u1", '"two\nlines"'], ["u2", '"three\n\nlines"']])
_ml += "   ,Blank Id\n"
add(Case("tricky-multiline-then-bad", "malformed: physical line after multi-line values",
         {"users.csv": _ml.encode()}, ".", bad=(Bad("users", "users.csv", line=7, column=1),),
         adds=merge_keys([("users", {"id": "u1", "name": "two\nlines"}),
                          ("users", {"id": "u2", "name": "three\n\nlines"})]),
         loaded={"users": 2}))
_blank = "id,name\nu1,A\n\nu2,B\n\n,C\n"
add(Case("tricky-blank-lines-then-bad", "malformed: physical line after blank lines",
         {"users.csv": _blank.encode()}, ".", bad=(Bad("users", "users.csv", line=6, column=1),),
         adds=merge_keys([("users", {"id": "u1", "name": "A"}),
                          ("users", {"id": "u2", "name": "B"})]),
         loaded={"users": 2}))
add(Case("tricky-tsv-quote-in-field", "tricky: quote inside a TSV field",
         {"users.tsv": b'id\tname\nu1\t5" tall\nu2\tB\n'}, ".",
         adds=merge_keys([("users", {"id": "u1", "name": '5" tall'}),
                          ("users", {"id": "u2", "name": "B"})]), loaded={"users": 2}))
add(Case("tricky-extra-columns-kept", "tricky: extra user columns (attributes)",
         {"users.csv": b"id,name,karma,bio\nu1,A,5,\"x, y\"\n"}, ".",
         adds=merge_keys([("users", {"id": "u1", "name": "A"})]), loaded={"users": 1}))
add(Case("tricky-full-snapshot-one-bad", "types: unknown among four tables",
         {f"{t}.csv": table_text(t, GOOD[t]).encode() for t in ("users", "follows", "posts")}
         | {"interactions.csv": table_text("interactions", GOOD["interactions"][:2]
                                           + [["u1", "u3", "poke", "", "1"]]).encode()}, ".",
         bad=(Bad("interactions", "interactions.csv", line=4, column=3),),
         adds=merge_keys([(t, d) for t in ("users", "follows", "posts")
                          for d in _dicts(t, GOOD[t])]
                         + [("interactions", d) for d in _dicts("interactions",
                                                                GOOD["interactions"][:2])]),
         loaded={"users": 3, "follows": 3, "interactions": 2, "posts": 3}))
add(Case("tricky-dangling-post-ref", "tricky: interaction naming a post not in the input",
         {"interactions.csv": b"src,dst,type,post_id\nu1,u2,reply,nope\n"}, ".",
         adds=merge_keys([("interactions", {"src": "u1", "dst": "u2", "type": "reply"})]),
         loaded={"interactions": 1}))
add(Case("tricky-self-loop", "tricky: self-loop (kept, counted)",
         {"follows.csv": b"src,dst\nu1,u1\nu1,u2\n"}, ".",
         adds=merge_keys([("follows", {"src": "u1", "dst": "u1"}),
                          ("follows", {"src": "u1", "dst": "u2"})]), loaded={"follows": 2}))
