"""The ``graph-influence`` command line: a thin layer over the Python API.

One module per group of commands (``load``, ``analyze``, the queries, the run inspectors,
``demo``); :mod:`.app` holds the Typer app and the one place where library errors become
messages and exit codes; :mod:`.options` the option bundles shared by the commands and the
``analyze`` options derived from :mod:`graph_influence.params`. Command modules import the
engine inside the command functions, so ``--help`` and the query commands start fast.
"""

from __future__ import annotations

from graph_influence.cli import analyze, demo, inspect_runs, load, queries  # noqa: F401
from graph_influence.cli.app import app

__all__ = ["app", "main"]

#: The order ``--help`` lists the commands in: the data flow, then the tools.
COMMAND_ORDER = ("load", "analyze", "top", "topics", "communities", "explain", "compare",
                 "report", "info", "export", "formats", "demo")
app.registered_commands.sort(key=lambda c: COMMAND_ORDER.index(c.name or c.callback.__name__))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
