"""Properties of the 0-100 scales (hypothesis) and their anchors."""

from __future__ import annotations

import json
import math
import os

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from graph_influence.algorithms.scaling import (
    KLOUT_FLOOR,
    KLOUT_MEDIAN,
    KLOUT_P95,
    SCALES,
    Calibration,
    apply_calibration,
    fit_calibration,
    received_attention,
    scale_scores,
)
from graph_influence.errors import CalibrationError


def _prob(raw: np.ndarray) -> np.ndarray:
    return raw / raw.sum()


influence_vectors = arrays(
    np.float64,
    st.integers(1, 300),
    elements=st.floats(1e-9, 1.0, allow_nan=False, allow_infinity=False),
).map(_prob)

# Vectors with many ties, as real graphs have (everyone without followers holds the teleport share).
tied_vectors = st.lists(st.sampled_from([1e-6, 2e-6, 5e-6, 1e-4, 3e-3, 0.1]), min_size=2,
                        max_size=300).map(lambda v: _prob(np.array(v)))


@settings(max_examples=150, deadline=None)
@given(st.one_of(influence_vectors, tied_vectors), st.sampled_from(SCALES))
def test_monotone_bounded_and_ties_equal(r, method):
    scores, _ = scale_scores(r, method)
    assert np.all((scores >= 0) & (scores <= 100))
    order = np.argsort(r, kind="stable")
    assert np.all(np.diff(scores[order]) >= -1e-9), "more influence never scores lower"
    for value in np.unique(r):
        tied = scores[r == value]
        assert np.ptp(tied) == 0.0


@settings(max_examples=150, deadline=None)
@given(st.one_of(influence_vectors, tied_vectors))
def test_klout_anchors_median_40_p95_63(r):
    scores, _ = scale_scores(r, "klout")
    # The user at the median (inverted-CDF definition: a value some user really has) gets 40,
    # the user at the 95th percentile gets 63, unless both are the same user value.
    x = np.log(r * len(r))
    x50 = np.quantile(x, 0.5, method="inverted_cdf")
    x95 = np.quantile(x, 0.95, method="inverted_cdf")
    at_median = scores[np.isclose(x, x50, rtol=0, atol=1e-12)]
    assert np.allclose(at_median, KLOUT_MEDIAN, atol=1e-9)
    if x95 > x50 + 1e-12:
        at_p95 = scores[np.isclose(x, x95, rtol=0, atol=1e-12)]
        assert np.allclose(at_p95, KLOUT_P95, atol=1e-9)
    assert scores.max() < 100.0


def test_klout_top_is_spread_not_saturated():
    # A heavy-tailed vector: the top 5 % spread over 63..98 by log-magnitude.
    rng = np.random.default_rng(0)
    r = _prob(rng.pareto(1.2, 10_000) + 1e-3)
    scores, _ = scale_scores(r, "klout")
    top = np.sort(scores)[-20:]
    assert top[-1] == pytest.approx(98.0)
    assert len(np.unique(np.round(top, 1))) >= 15, "the top 20 users are told apart"
    assert np.median(scores) == pytest.approx(40.0, abs=0.5)
    assert np.mean(scores >= 63.0 - 1e-9) == pytest.approx(0.05, abs=0.002)


def test_percentile_hand_computed():
    scores, _ = scale_scores(np.array([0.1, 0.1, 0.2, 0.6]), "percentile")
    # average ranks 1.5, 1.5, 3, 4 over n - 1 = 3
    np.testing.assert_allclose(scores, [100 / 6, 100 / 6, 200 / 3, 100.0])


def test_log_is_min_max_of_log():
    r = np.array([0.01, 0.09, 0.9])
    scores, _ = scale_scores(r, "log")
    expected = 100 * (np.log(r) - np.log(0.01)) / (np.log(0.9) - np.log(0.01))
    np.testing.assert_allclose(scores, expected)


def test_tweepcred_formula():
    r = np.array([1e-20, 1e-10, 0.5 - 1e-10, 0.5])
    scores, cal = scale_scores(r, "tweepcred")
    assert cal.params == {"a": 130.0, "b": 5.21}
    np.testing.assert_allclose(scores, np.clip(130 + 5.21 * np.log(r), 0, 100))


@settings(max_examples=60, deadline=None)
@given(influence_vectors, st.sampled_from(SCALES))
def test_calibration_round_trips_and_reuses(r, method):
    scores, cal = scale_scores(r, method)
    again = Calibration.from_json(cal.to_json())
    assert again == cal
    reused = apply_calibration(r, again)
    if method == "percentile":  # reuse works from 1001 quantiles: resolution 0.1 point
        if len(r) >= 100:
            assert np.abs(reused - scores).max() <= 0.1 + 100 / len(r) + 1e-9
    else:
        np.testing.assert_allclose(reused, scores, atol=1e-9)


def test_calibration_makes_two_snapshots_comparable(tmp_path):
    rng = np.random.default_rng(1)
    a = _prob(rng.pareto(1.5, 5_000) + 0.01)
    _, cal = scale_scores(a, "klout")
    cal.save(tmp_path / "cal.json")
    # Snapshot B: the same relative distribution on twice the users -> the same scores.
    b = _prob(np.concatenate([a, a]))
    loaded = Calibration.load(tmp_path / "cal.json")
    np.testing.assert_allclose(apply_calibration(b, loaded)[:5_000],
                               apply_calibration(a, loaded), atol=1e-9)
    # A star twice as big as anything in A scores above A's best, below 100.
    c = a.copy()
    c[0] = 2 * a.max()
    c = _prob(c)
    sc = apply_calibration(c, loaded)
    assert 98.0 < sc[0] < 100.0


def test_bad_calibration_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(CalibrationError):
        Calibration.load(path)
    with pytest.raises(CalibrationError, match="cannot read"):
        Calibration.load(tmp_path / "missing.json")
    with pytest.raises(CalibrationError, match="unknown scale"):
        Calibration.from_json('{"method": "nope", "params": {}}')


def test_fit_rejects_unknown_method():
    with pytest.raises(ValueError, match="scale must be one of"):
        fit_calibration(np.array([1.0]), "zscore")


# -- the floor: users who received no attention ----------------------------------------------
@st.composite
def floor_vectors(draw):
    """(influence, attended): the unattended users tied at the least influence, as PageRank
    with uniform teleport gives them; attended users strictly above, often tied too."""
    n_floor = draw(st.integers(0, 200))
    above = draw(st.lists(
        st.one_of(st.sampled_from([1.5, 2.0, 3.0, 10.0, 1e3]), st.floats(1.000001, 1e4)),
        max_size=200))
    if n_floor + len(above) == 0:
        n_floor = 1
    raw = np.array([1.0] * n_floor + above)
    mask = np.array([False] * n_floor + [True] * len(above))
    order = np.array(draw(st.permutations(range(len(raw)))), dtype=np.int64)
    return _prob(raw)[order], mask[order]


@settings(max_examples=200, deadline=None)
@given(floor_vectors())
def test_klout_floor_is_monotone_keeps_ties_and_anchors_on_attended(case):
    r, attended = case
    scores, cal = scale_scores(r, "klout", attended=attended)
    assert cal.params["floor"] == KLOUT_FLOOR == 10.0
    assert cal.fitted_on == {"n_users": len(r), "n_attended": int(attended.sum())}
    assert np.all((scores >= 0) & (scores < 100))
    assert np.all(scores[~attended] == KLOUT_FLOOR), "no attention: exactly the floor"
    assert np.all(scores[attended] >= KLOUT_FLOOR), "a floor user never outscores another"
    order = np.argsort(r, kind="stable")
    assert np.all(np.diff(scores[order]) >= -1e-9), "more influence never scores lower"
    for value in np.unique(r):
        assert np.ptp(scores[r == value]) == 0.0, "ties stay ties"
    if attended.any():  # the median attended user scores exactly 40
        x = np.log(r * len(r))
        x50 = np.quantile(x[attended], 0.5, method="inverted_cdf")
        at_median = scores[np.isclose(x, x50, rtol=0, atol=1e-12) & attended]
        assert np.allclose(at_median, KLOUT_MEDIAN, atol=1e-9)
    again = apply_calibration(r, Calibration.from_json(cal.to_json()), attended=attended)
    np.testing.assert_array_equal(again, scores)


def _klout_oracle(x: list[float], attended: list[bool]) -> list[float]:
    """The documented klout-with-floor formula, in plain Python (no numpy quantiles)."""
    seen = sorted(v for v, a in zip(x, attended, strict=True) if a)
    m = len(seen)
    x50, x95 = seen[math.ceil(0.5 * m) - 1], seen[math.ceil(0.95 * m) - 1]  # inverted CDF
    k = 23 / (x95 - x50)
    top_slope = 35 / (seen[-1] - x95)
    out = []
    for v, a in zip(x, attended, strict=True):
        if not a:
            out.append(10.0)
        elif v >= x95:
            out.append(63 + top_slope * (v - x95))
        elif v >= x50:
            out.append(40 + k * (v - x50))
        else:
            out.append(10 + 30 * math.exp(k * (v - x50) / 30))
    return out


def test_klout_floor_hand_computed():
    # 10 users nobody noticed (1 unit of influence each), 30 who were, at 2..31 units.
    raw = [1.0] * 10 + [float(v) for v in range(2, 32)]
    attended = [False] * 10 + [True] * 30
    total = sum(raw)
    x = [math.log(v / total * len(raw)) for v in raw]
    expected = _klout_oracle(x, attended)
    scores, cal = scale_scores(np.array(raw) / total, attended=np.array(attended))
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-9)
    # by hand: the median attended user holds 16 units (15th of 30), the 95th percentile
    # user 30 (29th of 30), the top 31.
    assert cal.params["x50"] == pytest.approx(math.log(16 / total * 40))
    assert cal.params["x95"] == pytest.approx(math.log(30 / total * 40))
    assert scores[list(raw).index(16.0)] == pytest.approx(40.0)
    assert scores[list(raw).index(30.0)] == pytest.approx(63.0)
    assert scores[-1] == pytest.approx(98.0)
    assert scores[10] == pytest.approx(10 + 30 * math.exp(23 / math.log(30 / 16)
                                                          * math.log(2 / 16) / 30))


def test_received_attention_is_in_degree_above_zero():
    g = nx.gnp_random_graph(300, 0.004, seed=3, directed=True)
    a = nx.to_scipy_sparse_array(g, nodelist=range(300), weight=None, format="csr")
    a.data = np.random.default_rng(3).uniform(0.01, 2.0, a.nnz)  # weighted, all > 0
    oracle = np.array([g.in_degree(v) > 0 for v in range(300)])
    assert 0 < oracle.sum() < 300
    np.testing.assert_array_equal(received_attention(a), oracle)


def test_attended_mask_is_checked():
    r = _prob(np.array([1.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="one boolean per user"):
        scale_scores(r, attended=np.array([True, False]))
    with pytest.raises(ValueError, match="one boolean per user"):
        scale_scores(r, attended=np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="uniform teleport"):  # the floor would outscore
        scale_scores(r, attended=np.array([True, True, False]))


def test_nobody_attended_everyone_at_the_floor_and_other_scales_have_none():
    r = np.full(4, 0.25)
    nobody = np.zeros(4, dtype=bool)
    scores, cal = scale_scores(r, attended=nobody)
    assert scores.tolist() == [10.0] * 4 and cal.fitted_on["n_attended"] == 0
    r = _prob(np.array([1.0, 1.0, 2.0, 6.0]))
    mask = np.array([False, False, True, True])
    for method in ("percentile", "log", "tweepcred"):
        with_mask, cal = scale_scores(r, method, attended=mask)
        np.testing.assert_array_equal(with_mask, scale_scores(r, method)[0])
        assert cal.floor is None and "floor" not in cal.params


def test_floor_calibration_round_trips_through_a_file(tmp_path):
    rng = np.random.default_rng(5)
    raw = np.concatenate([np.ones(600), 1.0 + rng.pareto(1.3, 400)])
    r, attended = _prob(raw), raw > 1.0
    scores, cal = scale_scores(r, attended=attended)
    cal.save(tmp_path / "cal.json")
    saved = json.loads((tmp_path / "cal.json").read_text())
    assert saved["version"] == 2 and saved["params"]["floor"] == 10.0
    assert saved["fitted_on"] == {"n_users": 1000, "n_attended": 400}
    loaded = Calibration.load(tmp_path / "cal.json")
    assert loaded == cal and loaded.floor == 10.0
    np.testing.assert_array_equal(apply_calibration(r, loaded, attended=attended), scores)
    # Without the mask nobody is put at the floor: the curve only (strictly above it).
    assert (apply_calibration(r, loaded) > 10.0).all()


OLD_CALIBRATION = """{
  "fitted_on": {"n_users": 5},
  "method": "klout",
  "params": {"k": 20.0, "x50": 0.0, "x95": 1.15, "xtop": 2.0},
  "version": 1
}"""


def test_old_calibration_without_floor_scores_as_it_did():
    cal = Calibration.from_json(OLD_CALIBRATION)
    assert cal.floor is None
    r = _prob(np.array([0.5, 0.5, 1.0, 2.0, 4.0]))
    x = np.log(r * 5)
    mask = np.array([False, False, True, True, True])
    got = apply_calibration(r, cal, attended=mask)
    # The formula of graph-influence before floors: everyone on the curve, bending towards 0.
    slope = 35 / (2.0 - 1.15)
    old = [40 * math.exp(min(20 * v / 40, 0.0)) if v < 0 else
           (40 + 20 * v if v < 1.15 else
            (63 + slope * (v - 1.15) if v <= 2.0 else
             98 + 2 * (1 - math.exp(-slope * (v - 2.0) / 2)))) for v in x]
    np.testing.assert_allclose(got, old, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got, apply_calibration(r, cal))
    assert got[0] != KLOUT_FLOOR, "no floor: the unattended users stay on the old curve"


@pytest.mark.parametrize(("change", "message"), [
    ({"version": 3}, "newer than this graph-influence reads"),
    ({"params": {"k": 20.0, "x50": 0.0, "x95": 1.15, "xtop": 2.0, "floor": 45}},
     r"floor must be a number in \[0, 40\)"),
    ({"params": {"k": 20.0, "x50": 0.0, "x95": 1.15, "xtop": 2.0, "floor": "ten"}},
     "floor must be a number"),
])
def test_calibration_version_and_floor_are_checked(change, message):
    obj = json.loads(OLD_CALIBRATION) | change
    with pytest.raises(CalibrationError, match=message):
        Calibration.from_json(json.dumps(obj))


def test_check_can_save_before_any_work(tmp_path):
    Calibration.check_can_save(tmp_path / "c.json")  # fine: nothing raised, nothing written
    assert not (tmp_path / "c.json").exists()
    with pytest.raises(CalibrationError, match="directory .*missing.* does not exist"):
        Calibration.check_can_save(tmp_path / "missing" / "dir" / "c.json")
    with pytest.raises(CalibrationError, match="it is a directory"):
        Calibration.check_can_save(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(CalibrationError, match="is not a directory"):
        Calibration.check_can_save(tmp_path / "file" / "c.json")
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(CalibrationError, match="permission denied"):
            Calibration.check_can_save(locked / "c.json")
