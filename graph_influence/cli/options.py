"""Option bundles shared by the commands, and the ``analyze`` options derived from the
parameter module.

The rule for names: ``--store`` is where the data is, ``--format`` the format of what a
command reads or writes as its subject (``load``: the snapshot; ``export``: the file; every
other command: what it prints), ``--limit``/``-n`` how many rows, ``--run`` which run,
``--topic`` which topic. Files to write are arguments (``export OUT``, ``report OUT``).
"""

from __future__ import annotations

import inspect
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from graph_influence.formatting import EXPORT_FORMATS, OUTPUT_FORMATS, REPORT_FORMATS
from graph_influence.params import AnalysisParams, ParamSpec, parse_weight_items, specs
from graph_influence.schema import SNAPSHOT_FORMATS

__all__ = [
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

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="GRAPH_INFLUENCE_STORE",
        help="Store URL: PATH.duckdb (embedded, default ./graph-influence.duckdb), "
        "duckdb://PATH, or neo4j://HOST:PORT / bolt://HOST:PORT (credentials from "
        "NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE).",
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


def analysis_parameters() -> list[inspect.Parameter]:
    """One keyword-only parameter per analysis parameter, for a command's signature."""
    out = []
    for spec in specs():
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
