"""Operator commands turn a database that is missing, not set up or away into one clear sentence and a
non-zero exit, never a traceback (as sqlite-utils' CLI does with its own errors)."""

from __future__ import annotations

import functools
from typing import Callable, ParamSpec, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from app.store import StoreError, Unavailable
from app.store.guard import SchemaNotReady, describe

P = ParamSpec("P")
T = TypeVar("T")


def needs_database(command: Callable[P, T]) -> Callable[P, T]:
    """Run a command that reads or writes the database; say in one sentence what to do when it cannot."""
    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except SchemaNotReady as error:
            raise click.ClickException(f"The database is not set up ({error}): run `flask db init` first.") from None
        except (Unavailable, StoreError, SQLAlchemyError) as error:
            raise click.ClickException(f"The database cannot be reached ({describe(error)}): check DATABASE_URL, "
                                       "then run `flask db init` if it is new.") from None

    return run
