"""Start-up time of the CLI: each query command as a whole process, on a 1M-user store.

Each command runs ``--repeat`` times (default 5) as a fresh process with its output sent to a
pipe; the median wall time is reported, beside two floors measured the same way in the same
run: the bare interpreter (``python -c pass``) and a raw DuckDB process that opens the store
read-only and runs the store's leaderboard query itself (what any CLI on this store must at
least pay).

The store is built once (a synthetic snapshot from ``bench/synth.py``: ``--users`` users,
``--edges`` edges, 50 topics, seed 0; loaded and analysed with the defaults) and reused when it
exists. Also records which heavy modules each command imported (``-X importtime``).

Usage::

    python bench/startup.py [--store bench/.work/startup-1m.duckdb] [--users 1000000]
                            [--edges 2000000] [--repeat 5] [--out bench/results/startup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEAVY = ("numpy", "pandas", "scipy", "numba", "pyarrow", "networkx", "igraph", "neo4j",
         "matplotlib")

RAW_TOP = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
rid = con.execute("SELECT max(run_id) FROM runs").fetchall()[0][0]
rows = con.execute(  # the store's own leaderboard query (DuckDBStore.top_rows)
    "SELECT s.rank, u.id, s.score, s.influence, u.name FROM scores s JOIN users u USING (uid) "
    "WHERE s.run_id = $rid AND s.rank <= (SELECT max(rank) FROM (SELECT rank FROM scores "
    "WHERE run_id = $rid ORDER BY rank LIMIT 10)) ORDER BY s.rank, u.id LIMIT 10",
    {"rid": rid}).fetchall()
print(rows)
"""


def build_store(path: Path, users: int, edges: int) -> None:
    sys.path.insert(0, str(HERE))
    from synth import generate_snapshot

    import graph_influence as gi

    snap = path.parent / f"startup-snap-{users}-{edges}"
    if not snap.exists():
        generate_snapshot(snap, n_edges=edges, n_users=users, n_topics=50, seed=0)
    tmp = path.with_suffix(".building.duckdb")
    tmp.unlink(missing_ok=True)
    with gi.open_store(tmp) as store:
        gi.load_snapshot(store, snap, progress=False)
        gi.analyze(store, progress=False)
    tmp.rename(path)


def timed(argv: list[str], repeat: int) -> dict:
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr[-2000:]}")
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls)}


def heavy_imports(argv: list[str]) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True,
                          text=True)
    found = set()
    for line in done.stderr.splitlines():
        name = line.rsplit("|", 1)[-1].strip()
        if name.split(".")[0] in HEAVY:
            found.add(name.split(".")[0])
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=HERE / ".work" / "startup-1m.duckdb")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    args.store.parent.mkdir(parents=True, exist_ok=True)
    if not args.store.exists():
        build_store(args.store, args.users, args.edges)
    exe = (shutil.which("graph-influence", path=str(Path(sys.executable).parent))
           or "graph-influence")
    store = str(args.store)
    import duckdb

    con = duckdb.connect(store, read_only=True)
    topic = con.execute("SELECT name FROM topics WHERE run_id = (SELECT max(run_id) FROM runs) "
                        "ORDER BY topic_id LIMIT 1").fetchall()[0][0]
    user = con.execute("SELECT u.id FROM scores s JOIN users u USING (uid) WHERE s.run_id = "
                       "(SELECT max(run_id) FROM runs) ORDER BY s.rank LIMIT 1").fetchall()[0][0]
    n_users = con.execute("SELECT count(*) FROM users").fetchall()[0][0]
    con.close()
    commands = {
        "--help": ["--help"],
        "analyze --help": ["analyze", "--help"],
        "top -k 10": ["top", "-k", "10", "--store", store],
        "top --topic T -k 10": ["top", "--topic", topic, "-k", "10", "--store", store],
        "topics": ["topics", "--store", store],
        "communities": ["communities", "--store", store],
        "info": ["info", "--store", store],
        "explain USER": ["explain", user, "--store", store],
    }
    env_note = {"OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
    result = {"store": store, "users": n_users, "repeat": args.repeat, "env": env_note,
              "floors": {
                  "python -c pass": timed([sys.executable, "-c", "pass"], args.repeat),
                  "raw duckdb top query": timed([sys.executable, "-c", RAW_TOP, store],
                                                args.repeat),
              }, "commands": {}}
    floor = result["floors"]["raw duckdb top query"]["median_s"]
    for name, cmd in commands.items():
        reps = 1 if name.startswith("explain") else args.repeat
        row = timed([exe, *cmd], reps)
        row["vs_raw_duckdb"] = row["median_s"] / floor
        row["heavy_imports"] = heavy_imports(["-m", "graph_influence.cli", *cmd])
        result["commands"][name] = row
        print(f"{name:<22} {row['median_s']:6.3f} s  ({row['vs_raw_duckdb']:.2f}x raw duckdb)  "
              f"heavy: {', '.join(row['heavy_imports']) or '-'}", flush=True)
    for name, row in result["floors"].items():
        print(f"{name:<22} {row['median_s']:6.3f} s  (floor)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
