"""Audit events and revisions are append-only at the database level, and timestamps are UTC."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from review.models import AuditEvent, Revision


def test_audit_events_cannot_be_updated_or_deleted(db, make_article):
    make_article(state="published")
    with db.read() as s:
        before = [(e.id, e.action, e.to_state) for e in s.scalars(select(AuditEvent))]
    assert len(before) == 4
    for statement in (
        update(AuditEvent).values(reason="tampered"),
        delete(AuditEvent),
        update(Revision).values(body_html="<p>改写历史</p>"),
        delete(Revision),
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.write() as s:
            s.execute(statement)
    if not db.is_sqlite:  # SQLite has no TRUNCATE; PostgreSQL's is refused by a trigger
        with pytest.raises(DBAPIError, match="append-only"), db.write() as s:
            s.execute(text("TRUNCATE audit_events CASCADE"))
    with db.read() as s:
        after = [(e.id, e.action, e.to_state) for e in s.scalars(select(AuditEvent))]
        assert after == before
        assert all(
            e.created_at.tzinfo is not None and e.created_at.utcoffset() == UTC.utcoffset(None)
            for e in s.scalars(select(AuditEvent))
        )


def test_schema_is_managed_by_alembic(db):
    with db.read() as s:
        assert s.scalar(text("SELECT version_num FROM alembic_version")) == "0002"
