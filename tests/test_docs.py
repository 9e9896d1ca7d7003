"""The README documents every command and option of the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from graph_influence.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands():
    group = typer.main.get_group(app)
    return group.commands


def test_every_command_is_in_the_cli_reference():
    for name in _commands():
        assert f"`graph-influence {name}" in README, f"README lacks a reference row for {name}"


def test_every_option_is_documented():
    missing = []
    for name, command in _commands().items():
        row = next((line for line in README.splitlines()
                    if line.startswith(f"| `graph-influence {name}")), "")
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help" and opt not in row:
                    missing.append(f"{name} {opt}")
    assert not missing, f"options missing from the README CLI reference: {missing}"


def test_quickstart_is_exactly_the_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick, flags=re.M)
    assert commands == ["make demo", "make test"]
