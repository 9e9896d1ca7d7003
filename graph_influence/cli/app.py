"""The Typer application, its global options and the one place library errors become messages.

Data goes to stdout, progress and messages to stderr. Exit codes: 0 success (also when the
reader of stdout goes away early, as ``| head`` does), 1 user error (bad input, missing data,
a parameter value it cannot take, a file that cannot be read or written, a bad config file: one
line on stderr, no traceback), 2 usage error (unknown option, a value outside an option's
choices), 130 interrupted.

Global options (before the command): ``--quiet``/``-q`` hides progress and messages (errors
and warnings still show), ``--config FILE`` names the TOML file of option defaults (default:
``graph-influence.toml`` in the working directory, if there is one; see
:func:`graph_influence.cli.options.config_default_map`).
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from graph_influence._version import __version__
from graph_influence.errors import GraphInfluenceError

__all__ = ["CONFIG_ENV", "QUIET_ENV", "app", "echo_err", "handle_errors"]

#: Environment variables of the global options.
CONFIG_ENV = "GRAPH_INFLUENCE_CONFIG"
QUIET_ENV = "GRAPH_INFLUENCE_QUIET"

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

_SHOWN_WHEN_QUIET = ("error:", "warning:")


def echo_err(message: str, *, always: bool = False) -> None:
    """A message on stderr, as text: control characters other than newlines are shown escaped
    (an id's ANSI escape is not sent to the terminal, nor stripped when piped).

    ``--quiet`` hides it unless it is an error or a warning (it starts with ``error:`` or
    ``warning:``) or ``always`` is given.
    """
    from graph_influence.formatting import display
    from graph_influence.progress import is_quiet

    if is_quiet() and not always and not message.startswith(_SHOWN_WHEN_QUIET):
        return
    text = "\n".join(display(line) for line in str(message).split("\n"))
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _stdout_gone() -> None:
    """The reader of stdout went away (``| head``): send what is left to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests)
        pass


def _os_error_text(exc: OSError) -> str:
    """``FILE: reason`` of an operating-system error on a path the user named."""
    reason = (exc.strerror or type(exc).__name__).rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    where = exc.filename if exc.filename2 is None else f"{exc.filename} -> {exc.filename2}"
    return f"{where}: {reason}"


def handle_errors(func):
    """Turn library errors into one line on stderr and exit code 1 (the one place this happens).

    A :class:`~graph_influence.params.ParameterError` (or an algorithm error such as
    :class:`~graph_influence.errors.PowerIterationFailedConvergence`) names Python arguments;
    the message names the command's flags for them instead. An operating-system error about
    a file (``NotADirectoryError`` for ``load FILE --format dir``, a full disk, a denied
    permission) is one line naming the file. A closed standard output (``| head``) ends the
    command quietly with exit code 0.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from graph_influence.cli.options import flag_of

        try:
            result = func(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return result
        except GraphInfluenceError as exc:
            param = getattr(exc, "param", None)
            if param:
                text = exc.for_flag(flag_of(param))
            elif hasattr(exc, "for_flags"):
                text = exc.for_flags(flag_of)
            else:
                text = str(exc)
            from graph_influence.stores import redact_url

            echo_err(f"error: {redact_url(text)}", always=True)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            _stdout_gone()
            raise typer.Exit(0) from None
        except KeyboardInterrupt as exc:
            said = getattr(exc, "message", None) or "the store is unchanged by the unfinished step"
            echo_err(f"interrupted — {said}", always=True)
            raise typer.Exit(130) from None
        except OSError as exc:
            if exc.filename is None:
                raise
            echo_err(f"error: {_os_error_text(exc)}", always=True)
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"graph-influence {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet/--no-quiet", "-q", envvar=QUIET_ENV, show_envvar=False,
                     help="No progress and no messages on stderr (errors and warnings still "
                     f"show; also ${QUIET_ENV}=1, or quiet = true in the config file)."),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar=CONFIG_ENV, show_envvar=False, dir_okay=False,
                     help="TOML file of option defaults (default: ./graph-influence.toml if "
                     f"it exists; also ${CONFIG_ENV}). A flag wins over an environment "
                     "variable, which wins over the file.", show_default=False),
    ] = None,
) -> None:
    """Klout-style influence scores for social-graph snapshots."""
    from graph_influence.cli.options import DEFAULT_CONFIG, ConfigError, config_default_map
    from graph_influence.progress import set_quiet

    path = config
    if path is None and Path(DEFAULT_CONFIG).is_file():
        path = Path(DEFAULT_CONFIG)
    settings: dict = {}
    if path is not None and not ctx.resilient_parsing:
        try:
            ctx.default_map, settings = config_default_map(path, ctx)
        except ConfigError as exc:
            echo_err(f"error: {exc}", always=True)
            raise typer.Exit(1) from None
    source = ctx.get_parameter_source("quiet")
    from_config = source is not None and source.name == "DEFAULT" and "quiet" in settings
    set_quiet(settings["quiet"] if from_config else quiet)
    ctx.call_on_close(lambda: set_quiet(False))  # the next command in this process: afresh
