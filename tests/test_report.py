"""The HTML report: written by the library and the CLI, and opened in headless Chromium.

The browser test drives Chromium over the Chrome DevTools Protocol: the page must make no
request other than the file itself (``data:`` URIs are not network), log no console error, and
render every section; a screenshot is saved to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.loading import load_snapshot
from graph_influence.report import write_report
from graph_influence.sample_data import sample_path
from graph_influence.stores import open_store

from .conftest import write_snapshot

SECTIONS = ("summary", "distribution", "leaderboard", "topics", "communities",
            "community-graph", "run", "compare")


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "sample.duckdb"
    with open_store(path) as st:
        load_snapshot(st, sample_path())
        analyze(st)
        analyze(st, AnalysisParams(half_life="7d"))
    return path


def test_write_report_is_self_contained(sample_store, tmp_path):
    out = tmp_path / "report.html"
    with open_store(sample_store, read_only=True) as st:
        assert write_report(st, out, topics=["#Python", "rust"]) == out
    text = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in text
    assert "<h3>python" in text and "<h3>rust" in text
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", text.replace("file://", "")), \
        "external URL in the report"
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text
    assert text.count("data:image/png;base64,") >= 3


def test_first_run_compares_with_the_next(sample_store, tmp_path):
    out = tmp_path / "r1.html"
    with open_store(sample_store, read_only=True) as st:
        write_report(st, out, run_id=1)
    text = out.read_text(encoding="utf-8")
    assert "Run 1 → run 2" in text


def test_user_strings_are_escaped_and_sections_degrade(tmp_path):
    snap = write_snapshot(
        tmp_path / "snap",
        users='id,name,topics\n<i>x</i>,"<script>alert(1)</script>",a&b\nbob,Bob & Co,a&b\n'
        "carol,Carol,a&b\n",
        follows="src,dst\nbob,<i>x</i>\ncarol,<i>x</i>\n<i>x</i>,carol\n",
    )
    out = tmp_path / "esc.html"
    with open_store(tmp_path / "esc.duckdb") as st:
        load_snapshot(st, snap)
        analyze(st, AnalysisParams(communities=False))
        write_report(st, out)
    text = out.read_text(encoding="utf-8")
    assert "<script>" not in text and "<i>x</i>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;i&gt;x&lt;/i&gt;" in text
    assert "Bob &amp; Co" in text
    assert "no communities" in text and 'id="compare"' not in text


def test_cli_report(sample_store, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--store", str(sample_store),
                                 "--topic", "python", "--run", "2"])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert out.stat().st_size > 10_000
    assert str(out) in result.stderr

    bad = tmp_path / "bad.html"
    result = runner.invoke(app, ["report", "--out", str(bad), "--store", str(sample_store),
                                 "--topic", "no-such-topic"])
    assert result.exit_code == 1
    assert "no topic 'no-such-topic'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not bad.exists()

    result = runner.invoke(app, ["report", "--out", str(bad), "--store", str(sample_store),
                                 "--run", "99"])
    assert result.exit_code == 1
    assert "no run 99" in result.stderr


# --------------------------------------------------------------------------------------------
# A minimal Chrome DevTools Protocol client over one browser websocket (flat sessions).

class _CDP:
    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)
        raise TimeoutError(method)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for ev in self.events:
            if ev["method"] == method:
                return ev
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if "method" in reply:
                self.events.append(reply)
                if reply["method"] == method:
                    return reply
        raise TimeoutError(method)

    def close(self) -> None:
        self.ws.close()


def _launch_chromium(binary: str, profile: Path):
    proc = subprocess.Popen(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    stderr: list[str] = []

    def drain():
        for line in proc.stderr:
            stderr.append(line)
            lines.put(line)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    proc.wait()
    raise AssertionError("chromium did not start:\n" + "".join(stderr[-30:]))


def _chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        reason = ("chromium is not installed (apt-get install chromium; `make test` installs "
                  "it) — the report's browser test cannot run")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


@pytest.mark.slow
def test_report_renders_in_headless_chromium(sample_store, tmp_path):
    binary = _chromium()
    out = tmp_path / "report.html"
    with open_store(sample_store, read_only=True) as st:
        write_report(st, out, topics=["python", "rust", "ai"])
    url = out.resolve().as_uri()
    proc, ws_url = _launch_chromium(binary, tmp_path / "profile")
    try:
        cdp = _CDP(ws_url)
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            cdp.send(f"{domain}.enable", session=session)
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                 session=session)
        cdp.events.clear()
        cdp.send("Page.navigate", {"url": url}, session=session)
        cdp.wait_event("Page.loadEventFired")
        cdp.send("Runtime.evaluate", {"expression": "1", "returnByValue": True},
                 session=session)  # let queued events arrive

        def evaluate(expression: str):
            result = cdp.send("Runtime.evaluate", {"expression": expression,
                                                   "returnByValue": True}, session=session)
            assert "exceptionDetails" not in result, result
            return result["result"].get("value")

        missing = evaluate(
            f"{json.dumps(SECTIONS)}.filter(id => !document.querySelector('section#' + id))")
        assert missing == [], f"sections missing: {missing}"
        images = evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        assert len(images) >= 3 and all(ok and w > 0 for ok, w in images), images
        rows = evaluate("document.querySelectorAll('#leaderboard tbody tr').length")
        assert rows >= 10
        height = evaluate("document.documentElement.scrollHeight")
        shot = cdp.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}},
            session=session, timeout=60)

        requests = [ev["params"]["request"]["url"] for ev in cdp.events
                    if ev["method"] == "Network.requestWillBeSent"]
        network = [u for u in requests if u != url and not u.startswith("data:")]
        assert network == [], f"the report made network requests: {network}"
        assert url in requests
        errors = []
        for ev in cdp.events:
            p = ev.get("params", {})
            if ev["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append(p)
            elif ev["method"] == "Runtime.exceptionThrown":
                errors.append(p)
            elif ev["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                errors.append(p["entry"])
        assert errors == [], f"console errors: {errors}"
        cdp.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    import base64

    png = tmp_path / "report.png"
    png.write_bytes(base64.b64decode(shot["data"]))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"report screenshot: {png}")


@pytest.mark.slow
def test_report_from_neo4j_equals_sections_of_duckdb(neo4j_store, tmp_path):
    load_snapshot(neo4j_store, sample_path(), progress=False)
    analyze(neo4j_store, progress=False)
    analyze(neo4j_store, AnalysisParams(half_life="7d"), progress=False)
    out = tmp_path / "neo4j.html"
    write_report(neo4j_store, out)
    text = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in text
    assert "<script" not in text.lower()
