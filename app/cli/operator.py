"""`flask operator password`: make the OPERATOR_PASSWORD_HASH setting that opens the report page at /report."""

from __future__ import annotations

import click
from werkzeug.security import generate_password_hash

MIN_LENGTH = 12


@click.group("operator")
def operator_command() -> None:
    """Operators' sign-in to the report page (/report)."""


@operator_command.command("password")
@click.password_option("--password", prompt="Password for the report page", confirmation_prompt=True,
                       help="The password (asked for, unseen, when not given).")
def password_command(password: str) -> None:
    """Print a password hash to set as OPERATOR_PASSWORD_HASH (with SECRET_KEY set too, /report is on)."""
    if len(password) < MIN_LENGTH:
        raise click.ClickException(f"Choose a password of at least {MIN_LENGTH} characters.")
    click.echo("Set this in the line's environment (the password itself is kept nowhere):")
    click.echo(f"OPERATOR_PASSWORD_HASH='{generate_password_hash(password)}'")
