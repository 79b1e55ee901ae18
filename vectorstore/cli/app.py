"""The typer application and the error handling every command shares."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import VectorStoreError

app = typer.Typer(
    name="vectorstore",
    help="One contract over ChromaDB, Qdrant and more: ingest, query, migrate, verify, conformance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

URL_HELP = "Store URL (memory://, chroma:///path, qdrant:///path, qdrant+http://host:6333, ...); default: config."


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line and return the exit to raise."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn our errors (and unreadable files) into one line and exit code 1."""
    try:
        yield
    except (VectorStoreError, OSError, ValueError) as exc:
        if os.environ.get("VECTORSTORE_DEBUG"):
            raise
        raise fail(f"{type(exc).__name__}: {exc}") from None


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@app.command`` whose body runs inside :func:`cli_errors`."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        @functools.wraps(function)
        def wrapper(*a: Any, **k: Any) -> Any:
            with cli_errors():
                return function(*a, **k)

        return app.command(*args, **kwargs)(wrapper)

    return decorate


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
