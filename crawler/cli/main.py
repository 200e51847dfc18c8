"""The ``qltt`` command: one Typer app, each command group in its own module."""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="qltt",
    help="Giám sát TMĐT — thu thập và phát hiện hàng giả, hàng cấm, hàng không rõ nguồn gốc trên mạng.",
    no_args_is_help=True,
    add_completion=False,
)


def _register() -> None:
    """Attach every command group; each module exposes ``register(app)``."""
    from crawler.cli import console, crawl, demo, evidence, export, listings, runs, schedule, spool, tips, worker
    from crawler.cli import rules as rules_cli

    for module in (demo, crawl, listings, evidence, console, rules_cli, export, schedule, runs, tips, spool,
                   worker):
        module.register(app)


def main() -> None:
    _register()
    if sys.argv[1:2] != ["spool"]:
        from crawler.cli.spool import replay_at_start

        replay_at_start()  # writes kept during a database outage go in before anything else runs
    app()
