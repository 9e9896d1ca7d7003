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
    KLOUT_TOP,
    SCALES,
    TIE_TOLERANCE,
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


def _documented_anchors(x: np.ndarray) -> tuple[float, float | None, float | None]:
    """(x50, x95, xtop) as the scale documents them: users at x50 score 40, at x95 63, at xtop
    98; None where nobody does. Inverted-CDF quantiles; values within 1e-9 are ties."""
    x50 = float(np.quantile(x, 0.5, method="inverted_cdf"))
    x95 = float(np.quantile(x, 0.95, method="inverted_cdf"))
    v, tol = sorted(x.tolist()), 1e-9
    top = v[-1]
    if top - x50 <= tol:  # the median user is the top one: 40 only
        return x50, None, None
    if x95 - x50 <= tol:  # over 45 % tied at the median: the next value above them
        x95 = min(u for u in v if u > x50 + tol)
    if top - x95 <= tol:  # the 95th percentile is the top: the value below the top
        inner = [u for u in v if x50 + tol < u < top - tol]
        x95 = max(inner) if inner else None
    return x50, x95, top


@settings(max_examples=150, deadline=None)
@given(st.one_of(influence_vectors, tied_vectors))
def test_klout_anchors_median_40_p95_63_top_98(r):
    scores, _ = scale_scores(r, "klout")
    # The users at the median (inverted-CDF definition: a value some user really has) get 40,
    # those at the 95th percentile 63 and the top 98, with the documented rules where two of
    # them are the same users.
    x = np.log(r * len(r))
    x50, x95, top = _documented_anchors(x)
    for anchor, score in ((x50, KLOUT_MEDIAN), (x95, KLOUT_P95), (top, KLOUT_TOP)):
        if anchor is not None:
            at = scores[np.isclose(x, anchor, rtol=0, atol=1e-12)]
            assert at.size and np.allclose(at, score, atol=1e-9)
    if top is None:
        assert scores.max() == pytest.approx(KLOUT_MEDIAN)
    if x95 is None and top is not None:  # nobody between the median and the top
        assert not ((scores > KLOUT_MEDIAN + 1e-6) & (scores < KLOUT_TOP - 1e-6)).any()
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


# -- the anchors where their users coincide (issue 14) ---------------------------------------
def _klout(raw, attended=None):
    r = _prob(np.asarray(raw, dtype=np.float64))
    mask = None if attended is None else np.asarray(attended)
    scores, cal = scale_scores(r, "klout", attended=mask)
    return scores, cal


def test_klout_fewer_than_20_attended_top_scores_98():
    # 5 users nobody noticed, 10 who were (2..11 units): the inverted-CDF 95th percentile of
    # 10 users is the top one; it scores 98 and the one below it 63.
    raw = [1.0] * 5 + [float(v) for v in range(2, 12)]
    attended = [False] * 5 + [True] * 10
    scores, cal = _klout(raw, attended)
    assert scores[-1] == pytest.approx(KLOUT_TOP)
    assert scores[-2] == pytest.approx(KLOUT_P95)
    assert scores[5 + 4] == pytest.approx(KLOUT_MEDIAN)  # the 5th of 10 attended (6 units)
    assert (scores[:5] == KLOUT_FLOOR).all()
    assert np.all(np.diff(scores[5:]) > 0)
    for m in range(2, 20):  # every small population: the top user scores 98
        s, _ = _klout([1.0] + [float(v) for v in range(2, m + 2)], [False] + [True] * m)
        assert s[-1] == pytest.approx(KLOUT_TOP), m


def test_klout_nobody_between_median_and_top_is_a_straight_line_to_98():
    # 3 attended: median, top and one below; nobody strictly between median and top.
    raw = [1.0, 1.0, 2.0, 3.0, 5.0]
    attended = [False, False, True, True, True]
    scores, cal = _klout(raw, attended)
    x = np.log(_prob(np.array(raw)) * 5)
    k = 58 / (x[4] - x[3])  # one slope from 40 at the median to 98 at the top
    assert cal.params["k"] == pytest.approx(k)
    assert cal.params["x95"] == pytest.approx(x[3] + 23 / k)
    np.testing.assert_allclose(scores, [10, 10, 10 + 30 * math.exp(k * (x[2] - x[3]) / 30),
                                        40, 98], rtol=0, atol=1e-9)


def test_klout_over_45_percent_tied_at_the_median():
    # 1000 users: 300 below, 660 tied (positions 301..960 hold the median and the 95th
    # percentile), 40 above them: the least of those scores 63, the top 98.
    above = np.geomspace(2.5, 50.0, 40)
    raw = np.concatenate([np.ones(300), np.full(660, 2.0), above])
    scores, cal = _klout(raw)
    x = np.log(_prob(raw) * 1000)
    assert np.quantile(x, 0.95, method="inverted_cdf") == x[500], "p95 is in the tie"
    assert (scores[300:960] == pytest.approx(KLOUT_MEDIAN)), "the 95th percentile user: 40"
    assert scores[960] == pytest.approx(KLOUT_P95) and scores[-1] == pytest.approx(KLOUT_TOP)
    assert (scores[960:] >= KLOUT_P95 - 1e-9).all(), "the top 5 % are spread over 63..98"
    # Almost all tied, the top only 1.5 times the median share: it still scores 98.
    scores, _ = _klout(np.concatenate([np.full(970, 2.0), np.linspace(2.1, 3.0, 30)]))
    assert scores[-1] == pytest.approx(KLOUT_TOP) and scores[970] == pytest.approx(KLOUT_P95)


def test_klout_at_least_5_percent_tied_at_the_top():
    raw = np.concatenate([np.linspace(1.0, 10.0, 940), np.full(60, 20.0)])
    scores, _ = _klout(raw)
    assert (scores[940:] == pytest.approx(KLOUT_TOP)), "the top users score 98"
    assert scores[939] == pytest.approx(KLOUT_P95), "the value below them 63"
    assert np.median(scores) == pytest.approx(KLOUT_MEDIAN, abs=0.05)


def test_klout_median_user_is_the_top_scores_40_and_nobody_more():
    for raw in ([1.0, 3.0, 3.0, 3.0], [5.0]):
        scores, cal = _klout(raw)
        assert scores.max() == pytest.approx(KLOUT_MEDIAN)
        assert cal.params["k"] == pytest.approx(23 / math.log(10))


def test_klout_near_ties_do_not_move_the_anchors():
    # Tied users whose influences differ in the last bits are one value for the anchors.
    raw = np.concatenate([np.ones(300), np.full(660, 2.0), np.geomspace(2.5, 50.0, 40)])
    noisy = raw.copy()
    noisy[300:960:2] *= 1 + 4e-16
    noisy[301:960:2] *= 1 - 4e-16
    np.testing.assert_allclose(_klout(noisy)[0], _klout(raw)[0], rtol=0, atol=1e-9)


#: Saved by graph-influence before issue 14 for 3 attended users of [1, 1, 2, 3, 5]: the top
#: scored 63 (the 95th percentile of 3 users is the top one), k continued above it.
VERSION_2_KLOUT_TINY = """{
  "fitted_on": {"n_attended": 3, "n_users": 5},
  "method": "klout",
  "params": {"floor": 10.0, "k": 45.025149346338004, "x50": 0.22314355131420976,
             "x95": 0.7339691750802005, "xtop": 1.5113125155936646},
  "version": 2
}"""


def test_version_2_klout_file_scores_as_it_did():
    # The change is in fitting, not in applying: a saved file keeps its scores on its data.
    cal = Calibration.from_json(VERSION_2_KLOUT_TINY)
    r = _prob(np.array([1.0, 1.0, 2.0, 3.0, 5.0]))
    mask = np.array([False, False, True, True, True])
    np.testing.assert_allclose(apply_calibration(r, cal, attended=mask),
                               [10.0, 10.0, 26.324381918735874, 40.0, 63.0], rtol=0, atol=1e-12)
    refit = fit_calibration(r, attended=mask)  # fitted today: the top scores 98
    assert apply_calibration(r, refit, attended=mask)[-1] == pytest.approx(KLOUT_TOP)


# -- percentile: ties on reuse (issue 14) -----------------------------------------------------
def _tied_snapshot(seed=4):
    """22,405 users: 13,921 tied at the least influence, 2,000 tied in the middle, the rest
    spread, shuffled."""
    rng = np.random.default_rng(seed)
    raw = np.concatenate([np.ones(13_921), np.full(2_000, 3.0),
                          1.0 + rng.pareto(1.2, 22_405 - 15_921)])
    return _prob(rng.permutation(raw))


def _jitter(r, tied, rng):
    """``r`` with the tied users moved by 1 ulp or a relative 1e-15, up or down."""
    out = r.copy()
    idx = np.flatnonzero(tied)
    kind = rng.integers(0, 4, idx.size)
    out[idx] = np.select([kind == 0, kind == 1, kind == 2],
                         [np.nextafter(r[idx], 1.0), np.nextafter(r[idx], 0.0),
                          r[idx] * (1 + 1e-15)], r[idx] * (1 - 1e-15))
    return out


def test_percentile_reuse_gives_a_tied_block_its_fitted_score():
    r = _tied_snapshot()
    fitted, cal = scale_scores(r, "percentile")
    rng = np.random.default_rng(0)
    values, counts = np.unique(r, return_counts=True)
    assert (counts >= 2_000).sum() == 2
    for value in values[counts >= 2_000]:  # the least influence and the middle block
        tied = r == value
        assert np.ptp(fitted[tied]) == 0
        noisy = _jitter(r, tied, rng)
        x, xn = np.log(r * len(r)), np.log(noisy * len(r))
        assert (xn[tied] > x[tied]).any() and (xn[tied] < x[tied]).any()
        reused = apply_calibration(noisy, Calibration.from_json(cal.to_json()))
        np.testing.assert_array_equal(reused[tied], fitted[tied])
        # A second snapshot of the same distribution: two disjoint copies, one of them noisy.
        both = apply_calibration(np.concatenate([r, noisy]) / 2, cal)
        np.testing.assert_array_equal(both[: len(r)][tied], fitted[tied])
        np.testing.assert_array_equal(both[len(r):][tied], fitted[tied])
    # Everyone else within the quantiles' resolution.
    assert np.abs(apply_calibration(r, cal) - fitted).max() <= 0.1 + 100 / len(r)


def test_percentile_near_ties_are_ties_when_fitting():
    r = _prob(np.array([1.0, 1.0 + 1e-12, 1.0 - 1e-12, 2.0, 2.0 * (1 + 3e-10), 5.0]))
    scores, cal = scale_scores(r, "percentile")
    np.testing.assert_allclose(scores, [20.0, 20.0, 20.0, 70.0, 70.0, 100.0])
    assert cal.params["n"] == 6 and cal.params["ranks"][0] == [0, 2]
    np.testing.assert_array_equal(apply_calibration(r, cal), scores)
    # 1e-6 apart is not a tie.
    apart, _ = scale_scores(_prob(np.array([1.0, 1.0 + 1e-6])), "percentile")
    assert apart.tolist() == [0.0, 100.0]
    assert TIE_TOLERANCE == 1e-9


def test_percentile_file_without_ranks_scores_as_before_except_near_ties():
    r = _tied_snapshot(seed=9)
    cal = fit_calibration(r, "percentile")
    old = Calibration("percentile", {"quantiles": cal.params["quantiles"]}, cal.fitted_on)
    q = np.asarray(cal.params["quantiles"])
    rng = np.random.default_rng(2)
    other = _prob(r * rng.uniform(0.5, 3.0, len(r)))  # a second snapshot, same size
    probe = np.concatenate([r, other]) / 2  # x of the first half: exactly r's
    x = np.log(probe * len(probe))
    # The rule for files without ranks, as before: mean of searchsorted left and right - 1/2.
    pos = (np.searchsorted(q, x, "left") + np.searchsorted(q, x, "right")) / 2.0 - 0.5
    before = np.clip(100.0 * pos / (len(q) - 1), 0.0, 100.0)
    got = apply_calibration(probe, old)
    i = np.clip(np.searchsorted(q, x), 1, len(q) - 1)
    gap = np.minimum(np.abs(x - q[i - 1]), np.abs(x - q[i]))
    exact_or_far = (gap == 0) | (gap > 1e-9)
    assert exact_or_far.mean() > 0.99
    np.testing.assert_array_equal(got[exact_or_far], before[exact_or_far])
    # Users 1 ulp from a plateau of equal quantiles take the plateau's midpoint, as exact
    # ties do, where they used to fall to its ends (0 or 2 x the midpoint).
    tied = r == r.min()
    plateau = before[: len(r)][tied][0]
    assert plateau > 10 and (q == q[0]).sum() > 100
    noisy = apply_calibration(_jitter(r, tied, rng), old)
    np.testing.assert_array_equal(noisy[tied], plateau)


def test_percentile_calibration_with_bad_ranks_is_refused():
    cal = fit_calibration(_prob(np.array([1.0, 2.0, 3.0])), "percentile")
    for change in ({"n": 0}, {"n": 2}, {"ranks": [[1, 0]] * 1001},
                   {"ranks": cal.params["ranks"][::-1]}, {"quantiles": [1.0, 0.0]}):
        bad = Calibration("percentile", cal.params | change, cal.fitted_on)
        with pytest.raises(CalibrationError, match="incomplete"):
            apply_calibration(_prob(np.array([1.0, 2.0])), bad)


@settings(max_examples=100, deadline=None)
@given(st.one_of(influence_vectors, tied_vectors), st.one_of(influence_vectors, tied_vectors))
def test_percentile_reuse_is_monotone_and_exact_on_its_quantiles(r, other):
    fitted, cal = scale_scores(r, "percentile")
    again = Calibration.from_json(cal.to_json())
    # On its own snapshot every user whose value is a quantile scores exactly as fitted.
    reused = apply_calibration(r, again)
    on_quantile = np.isin(np.log(r * len(r)), np.asarray(cal.params["quantiles"]))
    np.testing.assert_array_equal(reused[on_quantile], fitted[on_quantile])
    # On another snapshot: bounded, monotone, ties equal.
    scores = apply_calibration(other, again)
    assert np.all((scores >= 0) & (scores <= 100))
    order = np.argsort(other, kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)
    for value in np.unique(other):
        assert np.ptp(scores[other == value]) == 0.0
