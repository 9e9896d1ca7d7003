"""The parameter module: one definition per parameter, the same meaning from the CLI and the API."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from graph_influence.analysis import analyze
from graph_influence.cli import app
from graph_influence.loading import load_snapshot
from graph_influence.params import RECORD_VERSION, AnalysisParams, ParameterError, specs
from graph_influence.schema import DEFAULT_INTERACTION_TYPES
from graph_influence.stores import DuckDBStore

runner = CliRunner()

HEAVY = ("numpy", "pandas", "scipy", "numba", "pyarrow", "duckdb", "neo4j", "networkx", "igraph")


def _analyze_command():
    return typer.main.get_group(app).commands["analyze"]


def test_api_type_weights_merge_over_the_defaults_like_the_cli():
    p = AnalysisParams(type_weights={"Retweet": 2})
    assert p.type_weights == {**DEFAULT_INTERACTION_TYPES, "retweet": 2.0}


def test_the_readme_example_gives_the_same_scores_from_the_cli_and_the_api(tmp_path,
                                                                          snapshot_dir):
    cli_store, api_store = tmp_path / "cli.duckdb", tmp_path / "api.duckdb"
    assert runner.invoke(app, ["load", str(snapshot_dir), "--store", str(cli_store)]).exit_code == 0
    out = runner.invoke(app, ["analyze", "--store", str(cli_store), "--half-life", "7d",
                              "--weight", "retweet=2", "--format", "json"])
    assert out.exit_code == 0, out.stderr
    cli_board = json.loads(out.stdout)
    with DuckDBStore(api_store) as store:
        load_snapshot(store, snapshot_dir, progress=False)
        result = analyze(store, AnalysisParams(half_life="7d", type_weights={"retweet": 2}),
                         progress=False)
    api = dict(zip(result.scores["id"], result.scores["influence"], strict=True))
    assert {r["id"]: r["influence"] for r in cli_board} == pytest.approx(api, abs=1e-15)
    # and the defaults matter: with the old "replace" semantics reply would weigh 1, not 0.75
    assert result.run.params["type_weights"]["reply"] == 0.75


def test_the_run_stores_the_full_resolved_map_including_the_stores_own_types(tmp_path):
    snap = tmp_path / "s"
    snap.mkdir()
    (snap / "interactions.csv").write_text("src,dst,type\na,b,retweet\nb,c,boost\n")
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        load_snapshot(store, snap, interaction_types=["boost"], progress=False)
        result = analyze(store, AnalysisParams(type_weights={"retweet": 3}), progress=False)
    stored = result.run.params["type_weights"]
    assert stored == {**DEFAULT_INTERACTION_TYPES, "retweet": 3.0, "boost": 1.0}
    assert list(stored) == sorted(stored)


def test_a_weight_for_a_type_the_store_does_not_hold_is_rejected_with_the_flag(tmp_path,
                                                                              snapshot_dir):
    store = tmp_path / "s.duckdb"
    runner.invoke(app, ["load", str(snapshot_dir), "--store", str(store)])
    result = runner.invoke(app, ["analyze", "--store", str(store), "--weight", "retweets=5"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --weight names a type the store does not hold: "
                                    "'retweets'")
    assert "did you mean 'retweet'?" in result.stderr
    with DuckDBStore(store, read_only=True) as st:
        assert st.runs() == [], "nothing was stored"


def test_a_changed_weight_of_a_default_type_the_store_lacks_is_a_warning(tmp_path):
    snap = tmp_path / "s"
    snap.mkdir()
    (snap / "interactions.csv").write_text("src,dst,type\na,b,retweet\n")
    store = tmp_path / "s.duckdb"
    runner.invoke(app, ["load", str(snap), "--store", str(store)])
    result = runner.invoke(app, ["analyze", "--store", str(store), "--weight", "like=3"])
    assert result.exit_code == 0
    assert "warning: no 'like' interactions in the store" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--damping", "1.5"], "error: --damping must be in [0, 1), not 1.5"),
    (["--max-iter", "0"], "error: --max-iter must be >= 1, not 0"),
    (["--tol", "0"], "error: --tol must be > 0, not 0.0"),
    (["--resolution", "-1"], "error: --resolution must be > 0, not -1.0"),
    (["--weight", "like=-1"], "error: --weight values must be finite and >= 0, not like=-1"),
    (["--half-life", "soon"], "error: --half-life is wrong: cannot read duration 'soon'"),
    (["--as-of", "yesterday"], "error: --as-of is wrong: cannot read time 'yesterday'"),
])
def test_cli_messages_name_the_flag(tmp_path, args, message):
    result = runner.invoke(app, ["analyze", "--store", str(tmp_path / "none.duckdb"), *args])
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert not (tmp_path / "none.duckdb").exists(), "checked before the store is opened"


def test_non_convergence_names_the_flags(tmp_path, snapshot_dir):
    store = tmp_path / "s.duckdb"
    runner.invoke(app, ["load", str(snapshot_dir), "--store", str(store)])
    result = runner.invoke(app, ["analyze", "--store", str(store), "--max-iter", "1",
                                 "--tol", "1e-15"])
    assert result.exit_code == 1
    assert "raise --max-iter or --tol, or lower --damping" in result.stderr, result.stderr


def test_api_errors_name_the_python_argument():
    with pytest.raises(ParameterError, match=r"^max_iter must be >= 1, not 0$") as info:
        AnalysisParams(max_iter=0).validated()
    assert info.value.param == "max_iter"
    with pytest.raises(ParameterError, match="^community_method must be one of louvain, "):
        AnalysisParams(community_method="infomap").validated()
    with pytest.raises(ParameterError, match="^type_weights"):
        AnalysisParams(type_weights={"retweet": "a lot"})


def test_every_parameter_is_a_cli_option_with_its_default_choices_and_help():
    options = {p.name: p for p in _analyze_command().params}
    for spec in specs():
        option = options[spec.name]
        assert spec.flag in option.opts, spec.name
        assert option.help == spec.help
        if spec.type == "weights":
            assert option.multiple
        elif spec.choices:
            assert tuple(e.value for e in type(option.default)) == spec.choices
            assert str(option.default.value) == spec.default
            bad = runner.invoke(app, ["analyze", spec.flag, "no-such-choice"])
            assert bad.exit_code == 2 and spec.choices[-1] in bad.output, bad.output
        elif spec.type == "bool":
            assert option.secondary_opts == [f"--no-{spec.flag[2:]}"]
            assert option.default is spec.default
        else:
            assert option.default == spec.default, spec.name


def test_choices_are_the_algorithms_own():
    from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS
    from graph_influence.algorithms.communities import METHODS
    from graph_influence.algorithms.scaling import SCALES

    by_name = {s.name: s for s in specs()}
    assert set(by_name["scale"].choices) == set(SCALES)
    assert set(by_name["concave"].choices) == set(CONCAVE_TRANSFORMS)
    assert set(by_name["community_method"].choices) == set(METHODS)


def test_from_record_round_trips_and_fills_missing_keys_from_the_defaults():
    p = AnalysisParams(damping=0.9, half_life="12h", as_of="2024-01-01T00:00:00Z",
                       type_weights={"reply": 2}, scale="log", communities=False, seed=7)
    record = json.loads(json.dumps(p.to_record(calibration_reused=True)))
    back = AnalysisParams.from_record(record)
    assert back.half_life_seconds == p.half_life_seconds and back.as_of_time == p.as_of_time
    same = {f.name for f in dataclasses.fields(p)} - {"half_life", "as_of"}
    assert {k: getattr(back, k) for k in same} == {k: getattr(p, k) for k in same}
    assert AnalysisParams.from_record({"damping": 0.5, "record_version": RECORD_VERSION}) == \
        AnalysisParams(damping=0.5)


def test_old_records_keep_their_replaced_type_weights():
    # before record_version 2 the API replaced the map: types missing from it weighed 1
    old = AnalysisParams.from_record({"type_weights": {"retweet": 2.0}})
    assert old.type_weights == {**dict.fromkeys(DEFAULT_INTERACTION_TYPES, 1.0), "retweet": 2.0}


def test_parameter_module_and_option_checks_import_nothing_heavy(tmp_path):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from graph_influence.cli import app\n"
        "import graph_influence.params\n"
        f"r = CliRunner().invoke(app, ['analyze', '--store', {str(tmp_path / 'x.duckdb')!r}, "
        "'--damping', '2'])\n"
        "assert r.exit_code == 1, r.output\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
