"""Algorithms: pure functions on arrays and sparse matrices (no I/O).

- :mod:`.attention` builds the weighted attention graph from follows and interactions.
- :mod:`.pagerank` computes influence by power iteration.
- :mod:`.scaling` turns influence into 0-100 scores.
- :mod:`.ranking` ranks users.
"""

from __future__ import annotations

from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS, attention_matrix, decay_factor
from graph_influence.algorithms.pagerank import PageRankResult, pagerank, transition_matrix
from graph_influence.algorithms.ranking import competition_rank
from graph_influence.algorithms.scaling import (
    SCALES,
    Calibration,
    apply_calibration,
    fit_calibration,
    scale_scores,
)

__all__ = [
    "CONCAVE_TRANSFORMS",
    "SCALES",
    "Calibration",
    "PageRankResult",
    "apply_calibration",
    "attention_matrix",
    "competition_rank",
    "decay_factor",
    "fit_calibration",
    "pagerank",
    "scale_scores",
    "transition_matrix",
]
