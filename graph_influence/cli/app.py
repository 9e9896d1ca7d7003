"""The Typer application, its global options and the one place library errors become messages.

Data goes to stdout, progress and messages to stderr. Exit codes: 0 success, 1 user error (bad
input, missing data, a parameter value it cannot take: one line on stderr, no traceback),
2 usage error (unknown option, a value outside an option's choices), 130 interrupted.
"""

from __future__ import annotations

import functools
from typing import Annotated

import typer

from graph_influence._version import __version__
from graph_influence.errors import GraphInfluenceError

__all__ = ["app", "echo_err", "handle_errors"]

app = typer.Typer(
    name="graph-influence",
    help="Klout-style influence scores for social-graph snapshots.\n\n"
    "Quick start: graph-influence load SNAPSHOT_DIR && graph-influence analyze && "
    "graph-influence top",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def echo_err(message: str) -> None:
    """One line on stderr."""
    typer.echo(message, err=True)


def handle_errors(func):
    """Turn library errors into one line on stderr and exit code 1 (the one place this happens).

    A :class:`~graph_influence.params.ParameterError` (or an algorithm error such as
    :class:`~graph_influence.errors.PowerIterationFailedConvergence`) names Python arguments;
    the message names the command's flags for them instead.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from graph_influence.cli.options import flag_of

        try:
            return func(*args, **kwargs)
        except GraphInfluenceError as exc:
            param = getattr(exc, "param", None)
            if param:
                text = exc.for_flag(flag_of(param))
            elif hasattr(exc, "for_flags"):
                text = exc.for_flags(flag_of)
            else:
                text = str(exc)
            echo_err(f"error: {text}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            echo_err("interrupted — the store is unchanged by the unfinished step")
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"graph-influence {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Klout-style influence scores for social-graph snapshots."""
