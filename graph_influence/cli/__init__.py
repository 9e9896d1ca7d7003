"""The ``graph-influence`` command line: a thin layer over the Python API.

One module per group of commands (``load``, ``analyze``, the queries, the run inspectors,
``demo``); :mod:`.app` holds the Typer app, its global options (``--quiet``, ``--config``) and
the one place where library errors become messages and exit codes; :mod:`.options` the option
bundles shared by the commands, the ``analyze`` options derived from
:mod:`graph_influence.params`, and the config file. Command modules import the engine inside
the command functions, so ``--help`` and the query commands start fast.
"""

from __future__ import annotations

import inspect
import re
import typing

from graph_influence.cli import (  # noqa: F401
    analyze,
    backtest,
    demo,
    history,
    inspect_runs,
    load,
    manage,
    queries,
)
from graph_influence.cli.app import app

__all__ = ["app", "main"]

#: The order ``--help`` lists the commands in: the data flow, then the tools.
COMMAND_ORDER = ("load", "analyze", "top", "topics", "communities", "explain", "history",
                 "compare", "backtest", "report", "info", "runs", "loads", "export", "drop-load",
                 "delete-run", "formats", "demo")
app.registered_commands.sort(key=lambda c: COMMAND_ORDER.index(c.name or c.callback.__name__))

#: What rich reads as a markup tag in help text (``[deleted]``, ``[/r/python mod]``).
_MARKUP_TAG = re.compile(r"(?<!\\)\[(?=[a-z#/@][^\[\]]*\])")


def _literal(text: str | None) -> str | None:
    """Help text with its bracketed words kept as text (Typer renders help as rich markup)."""
    return _MARKUP_TAG.sub(r"\\[", text) if text and "[" in text else text


def _help_as_text() -> None:
    """Escape markup-looking brackets in every command's and option's help, once."""
    import typer.models

    for info in app.registered_commands:
        if info.help is None and info.callback is not None and "[" in (info.callback.__doc__
                                                                      or ""):
            info.help = inspect.getdoc(info.callback)
        info.help = _literal(info.help)
        if info.callback is None:
            continue
        params = inspect.signature(info.callback).parameters.values()
        if any(isinstance(p.annotation, str) for p in params):
            # Postponed annotations are evaluated afresh each time Typer reads them: keep
            # the evaluated ones, whose help is escaped below, in their place.
            hints = typing.get_type_hints(info.callback, include_extras=True)
            info.callback.__annotations__.update(
                {p.name: hints[p.name] for p in params if p.name in hints})
            params = inspect.signature(info.callback).parameters.values()
        for param in params:
            for meta in [*getattr(param.annotation, "__metadata__", ()), param.default]:
                if isinstance(meta, typer.models.ParameterInfo):
                    meta.help = _literal(meta.help)


_help_as_text()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
