"""Shared fixtures: a real database per test (SQLite file, and PostgreSQL when configured)."""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestConfig
from review import schema
from review.db import Database
from review.services import articles, people
from review.services.people import Actor

PG_URL = os.environ.get("KEPU_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
TABLES = [
    "comments", "audit_events", "prescreens", "assignments", "notifications", "outbox",
    "webhook_subscriptions", "revisions", "articles", "api_tokens", "user_expertise",
    "user_roles", "users", "societies", "feed_cache",
]  # fmt: skip


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    schema.upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session, migrated to head."""
    if not PG_URL:
        pytest.skip("KEPU_TEST_DATABASE_URL not set")
    url = make_url(PG_URL)
    name = f"kepu_test_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    test_url = url.set(database=name).render_as_string(hide_password=False)
    schema.upgrade(test_url)
    yield test_url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        path = tmp_path / "kepu.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    with psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
        autocommit=True,
    ) as conn:
        # Triggers keep audit events and revisions append-only (TRUNCATE included);
        # a replica session role lets the test harness empty them between tests.
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    return url


@pytest.fixture(scope="session")
def prescreen_model(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The default pre-screener, trained once per test session from the project's own corpus."""
    from classifiers.prescreen import load_default

    path = tmp_path_factory.mktemp("model") / "prescreen.joblib"
    load_default(path)
    assert path.exists()
    return path


@pytest.fixture
def app(database_url: str, prescreen_model):  # type: ignore[no-untyped-def]
    app = create_app(TestConfig(DATABASE_URL=database_url, PRESCREEN_MODEL=str(prescreen_model)))
    yield app
    app.extensions["kepu.db"].dispose()


@pytest.fixture
def db(app) -> Database:  # type: ignore[no-untyped-def]
    return app.extensions["kepu.db"]


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


_seq = itertools.count(1)


@dataclass
class Person:
    actor: Actor
    token: str

    @property
    def id(self) -> int:
        return self.actor.id

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(db: Database):  # type: ignore[no-untyped-def]
    """Builder: make_user("science_reviewer", expertise=[...]) -> Person with a token."""

    def build(*roles: str, **overrides: Any) -> Person:
        n = next(_seq)
        fields: dict[str, Any] = {
            "email": f"user{n}@example.org",
            "name": f"用户{n}",
            "roles": list(roles) or ["writer"],
        }
        fields.update(overrides)
        user, token = people.create_user(db, **fields)
        return Person(people.get_actor(db, user.id), token)

    return build


@pytest.fixture
def make_article(app, db: Database, make_user):  # type: ignore[no-untyped-def]
    """Builder: make_article(author=..., state="science_review") walks it there via services,
    running the background jobs each step records, as the web app does after a request."""
    from workflows import runner

    def build(author: Person | None = None, state: str = "draft", **overrides: Any) -> int:
        author = author or make_user("writer")
        fields: dict[str, Any] = {
            "title": "疫苗接种常见问题",
            "body_html": "<p>疫苗经过严格的临床试验。</p><p>接种后可能出现轻微发热。</p>",
            "topics": ["疫苗"],
            "audiences": ["公众"],
        }
        fields.update(overrides)
        article_id = articles.create_article(db, author.actor, **fields)
        path = {
            "draft": [],
            "political_review": [("submit", author)],
            "science_review": [("submit", author), ("approve", "political_reviewer")],
            "final_review": [
                ("submit", author),
                ("approve", "political_reviewer"),
                ("approve", "science_reviewer"),
            ],
            "published": [
                ("submit", author),
                ("approve", "political_reviewer"),
                ("approve", "science_reviewer"),
                ("publish", "editor"),
            ],
        }[state]
        for version, (action, who) in enumerate(path, start=1):
            actor = who.actor if isinstance(who, Person) else make_user(who).actor
            articles.perform(db, actor, article_id, action, version=version)
            runner.run_inline(app.extensions["kepu.jobs"])
        return article_id

    return build


@pytest.fixture
def count_queries(db: Database):  # type: ignore[no-untyped-def]
    """Context manager counting SQL statements sent to the database."""
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            if (
                not statement.lstrip()
                .upper()
                .startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE"))
            ):
                statements.append(statement)

        engines = {db.write_engine, db.read_engine}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", before)

    return counting
