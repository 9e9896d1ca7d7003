"""Progress shows on a terminal (stderr) and stays silent when piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from graph_influence.sample_data import sample_path


def _run(args, tmp_path, *, tty: bool) -> tuple[bytes, bytes]:
    cmd = [sys.executable, "-m", "graph_influence.cli", *args]
    if not tty:
        done = subprocess.run(cmd, capture_output=True, cwd=tmp_path, timeout=120, check=True)
        return done.stdout, done.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=follower, cwd=tmp_path)
    os.close(follower)
    err = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    out = proc.stdout.read()
    assert proc.wait(timeout=120) == 0
    os.close(leader)
    return out, err


def test_progress_on_a_terminal_only(tmp_path):
    args = ["load", str(sample_path()), "--store", str(tmp_path / "s.duckdb")]
    out, err = _run(args, tmp_path, tty=True)
    assert b"\x1b[" in err and b"load" in err, "a live progress line on the terminal"
    assert b"read 400 = loaded 400" in out, "data still goes to stdout"
    out, err = _run(args, tmp_path, tty=False)
    assert err == b""
    assert b"read 400 = loaded 400" in out


def _pty_stderr(code: str, tmp_path) -> bytes:
    """What a Python snippet writes to stderr when stderr is a terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=follower, cwd=tmp_path)
    os.close(follower)
    err = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    assert proc.wait(timeout=120) == 0, err[-2000:]
    os.close(leader)
    return err


def test_progress_shows_counts_where_they_are_known(tmp_path):
    code = (
        "import time\n"
        "from graph_influence.progress import Stages\n"
        "with Stages('analyze') as stage:\n"
        "    stage('pagerank [x]')\n"
        "    tick = stage.iterations(100)\n"
        "    for i in range(1, 13):\n"
        "        tick(i, 0.5)\n"
        "        time.sleep(0.03)\n"
        "    time.sleep(0.3)\n"
        "    stage('read + validate')\n"
        "    stage.count(120000, unit='rows')\n"
        "    time.sleep(0.3)\n"
    )
    err = _pty_stderr(code, tmp_path).decode("utf-8", errors="replace")
    assert "analyze: pagerank [x] — 12 of 100 iterations" in err, err[-1500:]
    assert "read + validate — 120,000 rows" in err, err[-1500:]


def test_counts_are_kept_without_a_display():
    from graph_influence.progress import Stages

    with Stages("load", enabled=False) as stage:
        stage("read")
        stage.count(10, unit="rows")
        stage.count(20, unit="rows")
        stage("store")
        stage.iterations(5)(3, 1e-3)
    assert stage.counted == {"read": (20, None, "rows"), "store": (3, 5, "iterations")}


def test_quiet_hides_progress_even_on_a_terminal(tmp_path):
    args = ["-q", "load", str(sample_path()), "--store", str(tmp_path / "s.duckdb")]
    out, err = _run(args, tmp_path, tty=True)
    assert err == b"", err[-500:]
    assert b"read 400 = loaded 400" in out
    from graph_influence import progress

    try:
        progress.set_quiet(True)
        assert progress.Stages("x").enabled is False
        assert progress.Stages("x", enabled=True).enabled is True, "an explicit wish wins"
    finally:
        progress.set_quiet(False)
