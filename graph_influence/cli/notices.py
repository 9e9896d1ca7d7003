"""One-line notices on stderr that the read commands share.

Light on purpose (nothing beyond the store's light members), so that ``top`` stays fast.
"""

from __future__ import annotations

from graph_influence.cli.app import echo_err
from graph_influence.errors import GraphInfluenceError

__all__ = ["stale_run_notice", "stale_run_text"]


def stale_run_text(store, run_id: int | None = None) -> str | None:
    """The notice for a run older than the latest load, or None (also when there is no run:
    the command itself says so)."""
    ids = store.run_ids()
    if not ids or (run_id is not None and run_id not in ids):
        return None
    rid = ids[-1] if run_id is None else run_id
    later = store.loads_after_run(rid)
    if not later:
        return None
    what = (f"load {later[-1]['load_id']}" if len(later) == 1
            else f"{len(later)} loads (the latest {later[-1]['load_id']})")
    return (f"note: run {rid} predates {what}; its results leave that data out — "
            "run graph-influence analyze to include it")


def stale_run_notice(store, run_id: int | None = None) -> None:
    """Say on stderr, in one line, when the run a command reads predates the latest load.

    ``store``: an open :class:`~graph_influence.stores.Store`, or the command's ``--store``
    value (a URL or None), opened read-only for the check.
    """
    from graph_influence.stores import Store, open_store

    if isinstance(store, Store):
        text = stale_run_text(store, run_id)
    else:
        try:
            with open_store(store, read_only=True) as st:
                text = stale_run_text(st, run_id)
        except GraphInfluenceError:  # no store yet: the command says what to do
            return
    if text:
        echo_err(text)
