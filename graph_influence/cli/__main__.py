"""``python -m graph_influence.cli``: the same as the ``graph-influence`` command."""

from graph_influence.cli import main

main()
