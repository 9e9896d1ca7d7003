"""Competition ranks against scipy's rankdata (the oracle)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from graph_influence.algorithms.ranking import competition_rank


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0, 1e-12, 3.0]), max_size=60))
def test_competition_rank_matches_rankdata_min_with_ties(values):
    v = np.array(values, dtype=np.float64)
    expected = rankdata(-v, method="min").astype(np.int64) if v.size else np.zeros(0, np.int64)
    got = competition_rank(v)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


def test_competition_rank_on_a_million_scores():
    v = np.random.default_rng(3).random(1_000_000).round(4)  # many ties
    np.testing.assert_array_equal(competition_rank(v), rankdata(-v, method="min"))
