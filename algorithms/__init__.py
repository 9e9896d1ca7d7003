"""Algorithms: pure functions on arrays and sparse matrices (no I/O).

- :mod:`.attention` builds the weighted attention graph from follows and interactions.
- :mod:`.pagerank` computes influence by power iteration.
- :mod:`.scaling` turns influence into 0-100 scores.
- :mod:`.ranking` ranks users.
- :mod:`.explain` decomposes one user's influence exactly (teleport, contributors, kinds, topics).
- :mod:`.topics`, :mod:`.communities`, :mod:`.louvain`: topic-sensitive PageRank and
  communities.

The names below are imported on first use (PEP 562), so that importing one submodule, or
this package, does not pull in scipy, numba and every other algorithm.
"""

from __future__ import annotations

from graph_influence._lazy import lazy_attributes

__all__ = [
    "CONCAVE_TRANSFORMS",
    "SCALES",
    "Calibration",
    "InfluenceDecomposition",
    "PageRankResult",
    "apply_calibration",
    "attention_matrix",
    "competition_rank",
    "decay_factor",
    "decompose_influence",
    "fit_calibration",
    "pagerank",
    "polish_pagerank",
    "scale_scores",
    "split_by_topic",
    "transition_matrix",
]

_LAZY = {
    "CONCAVE_TRANSFORMS": ".attention",
    "attention_matrix": ".attention",
    "decay_factor": ".attention",
    "InfluenceDecomposition": ".explain",
    "decompose_influence": ".explain",
    "polish_pagerank": ".explain",
    "split_by_topic": ".explain",
    "PageRankResult": ".pagerank",
    "pagerank": ".pagerank",
    "transition_matrix": ".pagerank",
    "competition_rank": ".ranking",
    "SCALES": ".scaling",
    "Calibration": ".scaling",
    "apply_calibration": ".scaling",
    "fit_calibration": ".scaling",
    "scale_scores": ".scaling",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals(), __all__)
