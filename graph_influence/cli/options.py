"""Option bundles shared by the commands, and the ``analyze`` options derived from the
parameter module.

The rule for names: ``--store`` is where the data is, ``--format`` the format of what a
command reads or writes as its subject (``load``: the snapshot; ``export``: the file; every
other command: what it prints), ``--limit``/``-n`` how many rows, ``--run`` which run,
``--topic`` which topic. Files to write are arguments (``export OUT``, ``report OUT``); ``-``
as a file to write means standard output.

:func:`config_default_map` reads the TOML config file (``graph-influence.toml`` or
``--config FILE``) into the ``default_map`` Click consults after the command line and the
environment: a flag wins over an environment variable, which wins over the file, which wins
over the built-in default.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from graph_influence.formatting import EXPORT_FORMATS, OUTPUT_FORMATS, REPORT_FORMATS
from graph_influence.params import (
    ENGINES,
    AnalysisParams,
    ParamSpec,
    parse_weight_items,
    specs,
)
from graph_influence.schema import SNAPSHOT_FORMATS
from graph_influence.stores.common import BULK_MODES

__all__ = [
    "DEFAULT_CONFIG",
    "STORE_ENVVARS",
    "ConfigError",
    "ExportFormat",
    "FormatOption",
    "OnError",
    "OutputFormat",
    "ReportFormat",
    "ReportFormatOption",
    "RunOption",
    "SnapshotFormat",
    "StoreOption",
    "TopicOption",
    "TsUnit",
    "analysis_parameters",
    "config_default_map",
    "flag_of",
    "hidden_limit_alias",
    "limit_option",
    "params_from_options",
]

STORE_PANEL = "Store"
OUTPUT_PANEL = "Output"


def _enum(name: str, values: tuple[str, ...]) -> type[StrEnum]:
    return StrEnum(name, {v.replace("-", "_"): v for v in values})


OutputFormat = _enum("OutputFormat", OUTPUT_FORMATS)
ReportFormat = _enum("ReportFormat", REPORT_FORMATS)
ExportFormat = _enum("ExportFormat", EXPORT_FORMATS)
SnapshotFormat = _enum("SnapshotFormat", SNAPSHOT_FORMATS)
OnError = _enum("OnError", ("fail", "skip"))
TsUnit = _enum("TsUnit", ("s", "ms", "us"))
Bulk = _enum("Bulk", BULK_MODES)
Engine = _enum("Engine", ENGINES)

#: Where ``--store`` is read from when it is not given, in this order (then the config file).
#: ``NEO4J_URI`` is the Neo4j driver's and the GDS client's convention.
STORE_ENVVARS = ["GRAPH_INFLUENCE_STORE", "NEO4J_URI"]

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar=STORE_ENVVARS,
        help="Store URL: PATH.duckdb (embedded, default ./graph-influence.duckdb), "
        "duckdb://PATH, or neo4j://HOST:PORT / bolt://HOST:PORT (credentials from "
        "NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE). Default: $GRAPH_INFLUENCE_STORE, "
        "else $NEO4J_URI, else store in the config file.",
        show_default=False,
        rich_help_panel=STORE_PANEL,
    ),
]
RunOption = Annotated[
    int | None,
    typer.Option("--run", help="Run id (default: the latest; see graph-influence info).",
                 min=1, show_default=False, rich_help_panel=STORE_PANEL),
]
TopicOption = Annotated[
    str | None,
    typer.Option("--topic", help="A topic (case and a leading # do not matter; see "
                 "graph-influence topics).", show_default=False),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format.", rich_help_panel=OUTPUT_PANEL),
]
ReportFormatOption = Annotated[
    ReportFormat,
    typer.Option("--format", "-f", help="Output format.", rich_help_panel=OUTPUT_PANEL),
]


def limit_option(what: str) -> Any:
    """``--limit``/``-n``: how many rows (one spelling in every command)."""
    return typer.Option("--limit", "-n", help=f"How many {what}.", min=1,
                        rich_help_panel=OUTPUT_PANEL)


def hidden_limit_alias() -> Any:
    """``-k``/``--top``: the earlier spelling of ``--limit``, kept working but not listed."""
    return typer.Option("-k", "--top", hidden=True, min=1, show_default=False)


# -- analyze: options derived from graph_influence.params ---------------------------------------
#: Algorithm arguments that are analysis parameters under another name.
_ALGORITHM_ARGUMENTS = {"alpha": "damping"}


def flag_of(param: str) -> str:
    """The CLI flag of a parameter's or algorithm argument's Python name (``max_iter`` ->
    ``--max-iter``, ``alpha`` -> ``--damping``)."""
    param = _ALGORITHM_ARGUMENTS.get(param, param)
    for spec in specs():
        if spec.name == param:
            return spec.flag
    return "--" + param.replace("_", "-")


_CHOICE_ENUMS: dict[str, type[StrEnum]] = {}


def _option(spec: ParamSpec) -> tuple[Any, Any]:
    """(annotation, default) of the Typer option for one parameter."""
    common = {"help": spec.help, "rich_help_panel": spec.panel}
    if spec.metavar:
        common["metavar"] = spec.metavar
    if spec.type == "bool":
        name = spec.flag.removeprefix("--")
        return Annotated[bool, typer.Option(f"--{name}/--no-{name}", **common)], spec.default
    if spec.choices:
        enum = _CHOICE_ENUMS.setdefault(
            spec.name, _enum("".join(w.title() for w in spec.name.split("_")), spec.choices))
        return Annotated[enum, typer.Option(spec.flag, **common)], enum(spec.default)
    if spec.type == "weights":
        return (Annotated[list[str] | None, typer.Option(spec.flag, show_default=False,
                                                         **common)], None)
    if spec.type == "instant":
        return Annotated[str | None, typer.Option(spec.flag, show_default=False, **common)], None
    kind = {"float": float, "int": int, "duration": str, "str": str}[spec.type]
    return Annotated[kind, typer.Option(spec.flag, **common)], spec.default


def analysis_parameters(names: Iterable[str] | None = None) -> list[inspect.Parameter]:
    """One keyword-only parameter per analysis parameter (or per one of ``names``), for a
    command's signature."""
    wanted = None if names is None else set(names)
    out = []
    for spec in specs():
        if wanted is not None and spec.name not in wanted:
            continue
        annotation, default = _option(spec)
        out.append(inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY,
                                     default=default, annotation=annotation))
    return out


def params_from_options(values: dict[str, Any]) -> AnalysisParams:
    """The :class:`AnalysisParams` of parsed option values (checked; nothing heavy imported).

    Raises
    ------
    ParameterError
        For a value the parameter cannot take (the CLI names the flag).
    """
    kwargs = {}
    for spec in specs():
        if spec.name not in values:  # a command that offers only some (backtest)
            continue
        value = values[spec.name]
        if spec.type == "weights":
            value = parse_weight_items(value or [])
        elif spec.choices:
            value = str(value.value if isinstance(value, StrEnum) else value)
        kwargs[spec.name] = value
    return AnalysisParams(**kwargs).validated()


def with_parameters(func, extra: list[inspect.Parameter]):
    """Give ``func(**options)`` a signature Typer reads: ``extra`` parameters first."""
    parameters = [*extra]
    func.__signature__ = inspect.Signature(parameters)
    func.__annotations__ = {p.name: p.annotation for p in parameters}
    return func


PathArgument = Path  # (re-exported for the command modules' annotations)


# -- the config file ----------------------------------------------------------------------------
#: The config file read from the working directory when ``--config`` is not given.
DEFAULT_CONFIG = "graph-influence.toml"
#: Keys of the top level of the config file besides the command tables.
_GLOBAL_KEYS = ("quiet", "store")
#: Commands the top-level ``store`` does not apply to (``demo``'s store is recreated).
_OWN_STORE = frozenset({"demo"})


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file (and the key)."""


def _option_for(command, key: str):
    """The visible option of ``command`` a config key names (its long flag without ``--``,
    or its Python name), or None."""
    wanted = key.replace("_", "-")
    found = None
    for param in command.params:
        if param.param_type_name != "option" or getattr(param, "hidden", False):
            continue
        if f"--{key}" in param.opts or f"--{wanted}" in param.opts:
            return param
        if param.name in (key, key.replace("-", "_")) and found is None:
            found = param
    return found


def _checked(ctx, name: str, command, param, value: Any, where: str) -> Any:
    """``value`` as the option takes it (a string for a repeatable option becomes a list);
    raises :class:`ConfigError` for a value it cannot take."""
    if getattr(param, "multiple", False) and not isinstance(value, list):
        value = [value]
    if isinstance(value, dict) or (isinstance(value, list) and not getattr(param, "multiple",
                                                                        False)):
        raise ConfigError(f"{where}: expected a single value, not {type(value).__name__}")
    sub = command.context_class(command, parent=ctx, info_name=name)
    try:
        param.process_value(sub, value)
    except Exception as exc:  # the option's own conversion error (a usage error)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise ConfigError(f"{where}: {message}") from None
    if isinstance(value, list):
        return [str(v) if not isinstance(v, str) else v for v in value]
    return value


def config_default_map(path: str | Path, ctx) -> tuple[dict[str, dict[str, Any]], dict]:
    """The ``default_map`` of a TOML config file, and its top-level settings.

    The file's top level may set ``store`` (every command that reads the store; not
    ``demo``) and ``quiet``; a table named after a command sets that command's options by
    their long flag without ``--`` (``half-life``, ``weight``; the Python name,
    ``half_life``, works too), with the values the flag takes (a list for a repeatable
    option). A command's table wins over the top level.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    ctx : click.Context
        The application's context (its command is the group of commands).

    Returns
    -------
    (dict, dict)
        ``{command: {parameter name: value}}`` for ``ctx.default_map``, and the top-level
        settings that were given (``quiet``).

    Raises
    ------
    ConfigError
        The file cannot be read or parsed, or names an unknown command or option, or gives an
        option a value it cannot take; the message names the file and the key.
    """
    import tomllib

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: "
                          f"{(exc.strerror or str(exc)).lower()}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    commands = ctx.command.commands
    defaults: dict[str, dict[str, Any]] = {}
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in commands:
                raise ConfigError(f"{path}: unknown command [{key}] — the commands are "
                                  f"{', '.join(sorted(commands))}")
            continue
        if key not in _GLOBAL_KEYS:
            hint = (f"; options of a command go in its table ([{name}] {key} = ...)" if
                    (name := next((n for n, c in commands.items() if _option_for(c, key)),
                                  None)) else "")
            raise ConfigError(f"{path}: unknown key '{key}' at the top level (it may set "
                              f"{', '.join(_GLOBAL_KEYS)}){hint}")
        if key == "quiet":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: quiet: expected true or false, not {value!r}")
            settings["quiet"] = value
            continue
        for name, command in commands.items():
            param = _option_for(command, key)
            if param is not None and name not in _OWN_STORE:
                defaults.setdefault(name, {})[param.name] = _checked(
                    ctx, name, command, param, value, f"{path}: {key}")
    for name, table in data.items():
        if not isinstance(table, dict):
            continue
        command = commands[name]
        for key, value in table.items():
            param = _option_for(command, key)
            if param is None:
                what = ("an argument, not an option" if any(
                    p.name == key.replace("-", "_") for p in command.params)
                    else "unknown option")
                raise ConfigError(f"{path}: [{name}] {key}: {what} — graph-influence {name} "
                                  "--help lists its options")
            defaults.setdefault(name, {})[param.name] = _checked(
                ctx, name, command, param, value, f"{path}: [{name}] {key}")
    return defaults, settings
