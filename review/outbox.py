"""The transactional outbox: services record jobs to run in the same transaction as the change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from review.models import OutboxMessage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Job names; workflows.jobs maps each to a function.
PRESCREEN_REVISION = "prescreen_revision"
ASSIGN_REVIEWERS = "assign_reviewers"
NOTIFY_TRANSITION = "notify_transition"
DELIVER_WEBHOOKS = "deliver_webhooks"
DELIVER_WEBHOOK = "deliver_webhook"
CHECK_DEADLINES = "check_deadlines"
RETRAIN_PRESCREENER = "retrain_prescreener"
REFRESH_FEEDS = "refresh_feeds"


def add_job(session: Session, job: str, args: dict[str, Any], *, key: str) -> OutboxMessage:
    """Record a job in the caller's transaction; a second call with the same key is a no-op."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(job=job, args=args, key=key)
    session.add(message)
    return message
