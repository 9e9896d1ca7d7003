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
