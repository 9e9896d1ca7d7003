"""Export per-user results of a run to CSV, Parquet or JSON."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graph_influence.errors import GraphInfluenceError
from graph_influence.formatting import EXPORT_FORMATS
from graph_influence.stores import Store

__all__ = ["EXPORT_FORMATS", "export_scores"]


def export_scores(
    store: Store, out: str | Path, *, format: str | None = None, run_id: int | None = None
) -> int:
    """Write one row per user (``id, influence, score, rank``, then ``community`` and one
    ``topic:<name>`` score column per topic when the run has them) ordered by rank.

    A store that keeps topic scores and memberships of the latest run only
    (``store.capabilities.results_of_every_run`` False) exports an older run's overall
    results without those columns.

    Parameters
    ----------
    store : Store
    out : str or Path
        The file to write.
    format : {"csv", "parquet", "json", "jsonl"}, optional
        Default: from the file's suffix, else CSV. ``json`` writes one array of objects.
    run_id : int, optional
        Default: the latest run.

    Returns
    -------
    int
        Rows written.
    """
    out = Path(out)
    fmt = (format or out.suffix.lstrip(".") or "csv").lower()
    if fmt not in EXPORT_FORMATS:
        raise GraphInfluenceError(
            f"cannot export as {fmt!r} — use --format {'|'.join(EXPORT_FORMATS)}"
        )
    run_id = store.resolve_run_id(run_id)
    table = _string_ids(store.scores_arrow(run_id=run_id))
    extras = _string_ids(store.user_extras(run_id=run_id)) if store.has_run_results(
        run_id) else None
    if extras is not None and extras.num_columns > 1:  # community and topic scores
        joined = table.join(extras, "id", join_type="left outer")
        table = joined.sort_by([("rank", "ascending"), ("id", "ascending")])
    try:
        if fmt == "csv":
            pacsv.write_csv(table, out)
        elif fmt == "parquet":
            pq.write_table(table, out)
        else:
            frame = table.to_pandas()
            if fmt == "json":
                frame.to_json(out, orient="records", double_precision=15, force_ascii=False)
            else:
                frame.to_json(out, orient="records", lines=True, double_precision=15,
                              force_ascii=False)
    except OSError as exc:
        raise GraphInfluenceError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return table.num_rows


def _string_ids(table):
    i = table.schema.get_field_index("id")
    return table.set_column(i, "id", table.column("id").cast("string"))
