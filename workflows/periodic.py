"""Jobs that recur: recorded in the outbox once per period (the key makes it once)."""

from __future__ import annotations

from sqlalchemy import select

from review import outbox
from review.models import OutboxMessage, utcnow
from workflows.context import JobContext

DEADLINE_CHECK_MINUTES = 5


def schedule_periodic(ctx: JobContext) -> None:
    """Put the deadline check in the outbox once per period (the key makes it once)."""
    now = utcnow()
    bucket = now.replace(
        minute=now.minute - now.minute % DEADLINE_CHECK_MINUTES, second=0, microsecond=0
    )
    key = f"deadlines:{bucket:%Y%m%d%H%M}"
    with ctx.db.read() as s:  # usually there already: skip the write transaction
        if s.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
            return
    with ctx.db.write() as s:
        outbox.add_job(s, outbox.CHECK_DEADLINES, {}, key=key)
