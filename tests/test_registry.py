"""The format registry: built-in importers, plugins found through the ``graph_influence.formats``
entry point group, options each importer takes, and auto-detection that says what it considered.

The plugin here is a real installed distribution (a ``.dist-info`` folder with an
``entry_points.txt`` on ``sys.path``), found by ``importlib.metadata`` as any pip-installed
package would be.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_influence.errors import SnapshotError
from graph_influence.loaders import read_snapshot, registry
from graph_influence.schema import SNAPSHOT_FORMATS

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = '''
from graph_influence.loaders.files import read_delimited
from graph_influence.loaders.registry import Importer
from graph_influence.loaders.snapshot import SnapshotBuilder


def read(path, options):
    builder = SnapshotBuilder(str(path), "pipes", on_error=options.on_error,
                              interaction_types=options.interaction_types)
    builder.add("follows", read_delimited(path, column_names=["src", "dst"], delimiter="|"))
    return builder.build()


IMPORTER = Importer(name="pipes", summary="pipe-separated follows", read=read,
                    detect=lambda path: path.suffix == ".pipes", precedence={precedence})
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Install a plugin distribution ``gi-pipes`` declaring the format ``pipes``."""

    def install(precedence: int = 30, name: str = "pipes", module: str = "gi_pipes") -> None:
        site = tmp_path / "site"
        (site / module).mkdir(parents=True, exist_ok=True)
        (site / module / "__init__.py").write_text(PLUGIN.format(precedence=precedence))
        info = site / f"{module}-0.1.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(
            f"[graph_influence.formats]\n{name} = {module}:IMPORTER\n")
        monkeypatch.syspath_prepend(str(site))
        registry.refresh()

    yield install
    for mod in [m for m in sys.modules if m.startswith("gi_")]:
        del sys.modules[mod]
    monkeypatch.undo()
    registry.refresh()


def test_builtin_formats_are_declared_as_entry_points_and_listed_for_the_cli():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = project["project"]["entry-points"][registry.ENTRY_POINT_GROUP]
    assert declared == registry.BUILTIN_FORMATS
    assert SNAPSHOT_FORMATS == ("auto", *registry.BUILTIN_FORMATS)
    for name in registry.BUILTIN_FORMATS:
        importer = registry.get_importer(name)
        assert importer.name == name and importer.summary
        assert importer.options <= {"ts_unit", "columns", "column_map", "edge_type",
                                    "exclude_users"}


def test_a_plugin_format_loads_is_detected_and_listed(plugin, tmp_path):
    plugin()
    path = tmp_path / "net.pipes"
    path.write_text("a|b\nb|c\n")
    assert "pipes" in registry.format_names()
    assert registry.detect_format(path) == "pipes"
    snap = read_snapshot(path)
    assert snap.format == "pipes" and snap.reports["follows"].loaded == 2
    result = CliRunner().invoke(_app(), ["formats", "-f", "json"])
    rows = {r["format"]: r for r in json.loads(result.stdout)}
    assert rows["pipes"]["from"] == "plugin" and rows["twitter"]["from"] == "built in"
    store = tmp_path / "p.duckdb"
    result = CliRunner().invoke(_app(), ["load", str(path), "--store", str(store)])
    assert result.exit_code == 0 and "(pipes:" in result.stdout


def test_detection_tie_names_both_formats(plugin, tmp_path):
    plugin(precedence=40)  # the same precedence as the JSON formats
    path = tmp_path / "tweets.pipes"
    path.write_text(json.dumps({"id": "1", "author_id": "a", "text": "hi"}) + "\n")
    with pytest.raises(SnapshotError, match=r"it looks like twitter and pipes; give --format"):
        registry.detect_format(path)
    assert read_snapshot(path, format="twitter").tables["posts"].num_rows == 1


def test_a_plugin_cannot_replace_a_builtin(plugin, tmp_path, caplog):
    plugin(name="twitter")
    assert registry.get_importer("twitter") is registry.get_importer("twitter")
    assert registry.get_importer("twitter").summary.startswith("Twitter API")
    assert "is ignored: it is built in" in caplog.text


def test_a_broken_plugin_is_named_and_the_rest_works(tmp_path, monkeypatch, caplog):
    site = tmp_path / "site"
    info = site / "gi_broken-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gi_broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[graph_influence.formats]\nbroken = gi_nowhere:X\n")
    monkeypatch.syspath_prepend(str(site))
    registry.refresh()
    try:
        with pytest.raises(SnapshotError, match=r"format 'broken' \(gi_nowhere:X\) cannot be "
                                                "loaded"):
            read_snapshot(tmp_path, format="broken")
        assert "twitter" in [i.name for i in registry.importers()]
        assert "cannot be loaded" in caplog.text
    finally:
        monkeypatch.undo()
        registry.refresh()


def test_unknown_format_and_options_that_do_not_apply(tmp_path):
    path = tmp_path / "e.txt"
    path.write_text("a b\n")
    with pytest.raises(SnapshotError, match=r"unknown format 'tweets' — use one of auto, dir"):
        read_snapshot(path, format="tweets")
    with pytest.raises(SnapshotError, match=r"format 'twitter' does not take the option "
                                            r"--ts-unit — it applies to dir, "):
        read_snapshot(path, format="twitter", ts_unit="ms")
    with pytest.raises(SnapshotError, match=r"does not take the option --columns"):
        read_snapshot(path, format="dir", columns=["src", "dst"])


def test_load_type_sets_an_edge_lists_kind_and_allows_it_elsewhere(tmp_path, snapshot_dir):
    path = tmp_path / "e.txt"
    path.write_text("a b\nb c\n")
    store = str(tmp_path / "t.duckdb")
    runner = CliRunner()
    result = runner.invoke(_app(), ["load", str(path), "--store", store, "--type", "message",
                                    "--report-format", "json"])
    assert result.exit_code == 0, result.stderr
    tables = json.loads(result.stdout)["tables"]
    assert tables["interactions"]["loaded"] == 2 and tables["follows"]["loaded"] == 0
    result = runner.invoke(_app(), ["load", str(path), "--store", store, "--type", "vote",
                                    "--type", "email", "--report-format", "json"])
    assert result.exit_code == 0, result.stderr  # the first --type is the edges' type
    assert json.loads(result.stdout)["tables"]["interactions"]["new"] == 2
    result = runner.invoke(_app(), ["load", str(snapshot_dir), "--store", store, "--type",
                                    "email"])  # a snapshot directory: allow the type
    assert result.exit_code == 0, result.stderr


def _app():
    from graph_influence.cli import app

    return app


def test_columns_by_name_imply_the_table_format(tmp_path):
    path = tmp_path / "replies.csv"
    path.write_text("author,parent_author,sub\nana,ben,python\ncho,ana,rust\n")
    snap = read_snapshot(path, column_map={"src": "author", "dst": "parent_author"})
    assert snap.format == "table" and snap.reports["follows"].loaded == 2
    result = CliRunner().invoke(_app(), [
        "load", str(path), "--store", str(tmp_path / "t.duckdb"), "--src", "author", "--dst",
        "parent_author", "--type", "reply", "--topics", "sub", "--report-format", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["format"] == "table" and report["tables"]["interactions"]["loaded"] == 2
