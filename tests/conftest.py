"""Shared fixtures: the real content, apps built on a fresh database per test, a test PostgreSQL."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import DEFAULTS, PROJECT_ROOT
from app.content import load_line
from app.store import upgrade
from postgres import database_url, postgres, postgres_server, postgres_url  # noqa: F401  (fixtures, tests/postgres.py)

CONTENT_DIR = PROJECT_ROOT / "content"


@pytest.fixture(scope="session")
def line():
    """The real content, loaded once."""
    return load_line(CONTENT_DIR)


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Build an app on a fresh SQLite file (its tables made, as `flask db init` would, unless migrate=False),
    in development mode with a STOP journal of its own; keyword arguments override settings."""
    # Keep the developer's own .env and environment out of the tests: a variable set to "" means
    # "the default", and python-dotenv never overrides a variable that is already set.
    for name in DEFAULTS:
        monkeypatch.setenv(name, "")

    def build(migrate=True, **overrides):
        config = {"TESTING": True, "LINE_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'line.db'}",
                  "PHONE_HASH_SECRET": "test-secret", "PREVIEW_DIR": str(tmp_path / "preview"),
                  "STOP_JOURNAL": str(tmp_path / "stop-journal.txt")}
        config.update(overrides)
        if migrate:
            upgrade(config["DATABASE_URL"])
        return create_app(config)

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/*.txt from what the line says now (review the diff!)")
