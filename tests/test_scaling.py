"""Properties of the 0-100 scales (hypothesis) and their anchors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from graph_influence.algorithms.scaling import (
    KLOUT_MEDIAN,
    KLOUT_P95,
    SCALES,
    Calibration,
    apply_calibration,
    fit_calibration,
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
