"""Shared fixtures: the test line (and the real content), apps built on a fresh database per test, a test PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import REAL_CONTENT_DIR, TEST_CONTENT_DIR
from postgres import database_url, postgres, postgres_server, postgres_url  # noqa: F401  (fixtures, tests/postgres.py)

from app import create_app, services
from app.config import DEFAULTS
from app.core.content import load_line
from app.store import Store, upgrade


@pytest.fixture(scope="session")
def line():
    """The test line (tests/line/en), loaded once."""
    return load_line(TEST_CONTENT_DIR)


@pytest.fixture(scope="session")
def real_line():
    """The real content (content/en), loaded once: only for tests that exist to notice its changes."""
    return load_line(REAL_CONTENT_DIR)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the test line's folder to break."""
    return Path(shutil.copytree(TEST_CONTENT_DIR, tmp_path / "content"))


@pytest.fixture
def new_store(database_url, tmp_path):  # noqa: F811  (the database_url fixture)
    """Stores on the test's database (its tables made), each as if in its own worker process."""
    upgrade(database_url)
    made = []

    def build(secret="test-secret", **options):
        made.append(Store(database_url, secret, journal=tmp_path / f"journal-{len(made)}.txt", **options))
        return made[-1]

    yield build
    for store in made:
        store.close()


@pytest.fixture
def store(new_store):
    return new_store()


# The real content's other languages, loaded once a session like `line`.
LOADED: dict = {}


@pytest.fixture
def make_app(tmp_path, monkeypatch, line, real_line):
    """Build an app on the test line and a fresh SQLite file (its tables made, as `flask db init` would,
    unless migrate=False), in development mode with a STOP journal of its own; keyword arguments override
    settings (CONTENT_DIR=str(REAL_CONTENT_DIR) for the real content)."""
    # Keep the developer's own .env and environment out of the tests: a variable set to "" means
    # "the default", and python-dotenv never overrides a variable that is already set.
    for name in DEFAULTS:
        monkeypatch.setenv(name, "")

    # The test line and the real content are loaded and checked once a session (tests/test_content.py
    # checks loading itself); an app on any other folder or language loads its own, as in production.
    loaded = {TEST_CONTENT_DIR.resolve(): line, REAL_CONTENT_DIR.resolve(): real_line}

    def load_once(content_dir, language="en"):
        resolved = Path(content_dir).resolve()
        if language == "en" and resolved in loaded:
            return loaded[resolved]
        if resolved == REAL_CONTENT_DIR.resolve():  # the real content's other languages, once a session
            if language not in LOADED:
                LOADED[language] = load_line(content_dir, language)
            return LOADED[language]
        return load_line(content_dir, language)

    monkeypatch.setattr(services, "load_line", load_once)

    def build(migrate=True, **overrides):
        config = {"TESTING": True, "LINE_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'line.db'}",
                  "PHONE_HASH_SECRET": "test-secret", "CONTENT_DIR": str(TEST_CONTENT_DIR),
                  "PREVIEW_DIR": str(tmp_path / "preview"), "STOP_JOURNAL": str(tmp_path / "stop-journal.txt")}
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
                     help="rewrite the answers in tests/golden/*.yaml from what the line does now (review the diff!)")
