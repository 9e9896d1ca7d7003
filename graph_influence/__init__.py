"""graph-influence: Klout-style influence scores for social-graph snapshots.

The data flow is ``snapshot files -> loaders -> store -> graph view -> algorithms -> scores ->
store -> queries/exports``. The Python API mirrors the CLI::

    import graph_influence as gi

    store = gi.open_store("graph-influence.duckdb")
    gi.load_snapshot(store, "path/to/snapshot")
    result = gi.analyze(store, gi.AnalysisParams(half_life="7d"))
    result.top(10)                     # DataFrame: id, influence, score, rank
    store.top(10)                      # the same, from the store, for the latest run

Heavy modules are imported on first use, so ``import graph_influence`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes
from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from .algorithms.scaling import Calibration
    from .analysis import AnalysisResult, analyze
    from .compare import compare_runs
    from .explain import explain_user
    from .exporting import export_scores
    from .loaders import read_snapshot
    from .loading import load_frames, load_snapshot
    from .params import AnalysisParams
    from .report import write_report
    from .sample_data import sample_path
    from .stores import open_store

__all__ = [
    "AnalysisParams",
    "AnalysisResult",
    "Calibration",
    "__version__",
    "analyze",
    "compare_runs",
    "explain_user",
    "export_scores",
    "load_frames",
    "load_snapshot",
    "open_store",
    "read_snapshot",
    "sample_path",
    "write_report",
]

_LAZY = {
    "AnalysisParams": ".params",
    "AnalysisResult": ".analysis",
    "analyze": ".analysis",
    "Calibration": ".algorithms.scaling",
    "export_scores": ".exporting",
    "explain_user": ".explain",
    "compare_runs": ".compare",
    "write_report": ".report",
    "load_frames": ".loading",
    "load_snapshot": ".loading",
    "open_store": ".stores",
    "read_snapshot": ".loaders",
    "sample_path": ".sample_data",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals(), __all__)
