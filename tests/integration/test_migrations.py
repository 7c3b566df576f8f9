"""Alembic migrations and the models agree, on every database the suite runs against."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from review import schema
from review.models import Base


def test_migrations_reach_head_and_match_the_models(db):
    with db.write_engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == schema.head_revision()
        assert compare_metadata(context, Base.metadata) == []
