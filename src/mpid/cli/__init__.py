"""The `mpid` command line: a thin layer over the services and the science.

Each module in this package that defines ``register(app)`` adds its commands, so a
new command group is a new file, not an edit of a shared one.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

import typer

app = typer.Typer(
    name="mpid",
    help="mpid: accounting for missing persons (register, DNA matching, review, family portal).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    """Entry point of the `mpid` console script."""
    app()
