"""Moves outbox rows to RQ, and finds jobs RQ lost (dead worker, evicted key) to send again."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, update

from review.models import OutboxMessage, utcnow
from workflows.context import JobContext
from workflows.periodic import schedule_periodic

log = logging.getLogger(__name__)

ALIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def rq_job_id(ctx: JobContext, message_id: int, dispatch_no: int) -> str:
    """RQ job ids derive from the database and the outbox row, so a repeated dispatch cannot
    enqueue twice, and two databases sharing one Redis cannot collide."""
    return f"{ctx.job_prefix}-{message_id}-{dispatch_no}"


def dispatch(ctx: JobContext, queue: Queue, *, limit: int = 200) -> int:
    """Enqueue due pending rows; returns how many. Stops quietly if Redis is unreachable."""
    with ctx.db.read() as s:
        ids = list(
            s.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.available_at <= utcnow())
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        )
    sent = 0
    for message_id in ids:
        try:
            sent += _dispatch_one(ctx, queue, message_id)
        except RedisError as exc:
            log.warning("Redis unavailable, outbox rows wait: %s", exc)
            break
    return sent


def _dispatch_one(ctx: JobContext, queue: Queue, message_id: int) -> int:
    """Mark the row dispatched (committed first, so a fast worker finds it so), then enqueue;
    if Redis fails, put the row back to pending."""
    with ctx.db.read() as s:
        m = s.get(OutboxMessage, message_id)
        if m is None or m.status != "pending":
            return 0
        number, job, args = m.dispatches, m.job, dict(m.args)
    for _ in range(5):
        number += 1
        job_id = rq_job_id(ctx, message_id, number)
        if not _mark(ctx, message_id, ("pending", number - 1), ("dispatched", number, job_id)):
            return 0  # another dispatcher took it
        try:
            queue.enqueue(
                "workflows.runner.run_outbox_job",
                message_id,
                job_id=job_id,
                unique=True,
                retry=Retry(max=len(ctx.retry_intervals), interval=list(ctx.retry_intervals)),
                job_timeout=ctx.job_timeout,
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
                description=f"{job} {args}",
            )
            return 1
        except DuplicateJobError:
            existing = Job.fetch(job_id, connection=queue.connection)
            if existing.get_status(refresh=False) in ALIVE | {JobStatus.STARTED}:
                log.info("outbox %s already in RQ as %s", message_id, job_id)
                return 1
            # a finished or failed leftover under this id: back to pending, try the next id
            _mark(ctx, message_id, ("dispatched", number), ("pending", number, None))
        except RedisError:
            _mark(ctx, message_id, ("dispatched", number), ("pending", number - 1, None))
            raise
    return 0


def _mark(
    ctx: JobContext,
    message_id: int,
    expected: tuple[str, int],
    new: tuple[str, int, str | None],
) -> bool:
    """Move a row from (status, dispatches) to (status, dispatches, rq job id) if unchanged."""
    values: dict[str, object] = {"status": new[0], "dispatches": new[1], "rq_job_id": new[2]}
    if new[0] == "dispatched":
        values["dispatched_at"] = utcnow()
    with ctx.db.write() as s:
        result = s.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == expected[0],
                OutboxMessage.dispatches == expected[1],
            )
            .values(**values)
        )
        return result.rowcount == 1


def sweep(ctx: JobContext, queue: Queue) -> int:
    """Rows RQ was given but will never finish (lost job, dead worker): back to pending."""
    cutoff = utcnow() - timedelta(seconds=ctx.stale_after)
    with ctx.db.read() as s:
        rows = [
            (m.id, m.rq_job_id, m.status, m.started_at)
            for m in s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.status.in_(["dispatched", "running"]),
                    OutboxMessage.dispatched_at <= cutoff,
                )
            )
        ]
    lost = []
    for message_id, job_id, status, started_at in rows:
        reason = _lost_reason(queue, job_id, status, started_at, cutoff)
        if reason:
            lost.append((message_id, status, job_id, reason))
    moved = 0
    for message_id, status, job_id, reason in lost:
        with ctx.db.write() as s:
            result = s.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.status == status,
                    OutboxMessage.rq_job_id.is_(None)
                    if job_id is None
                    else OutboxMessage.rq_job_id == job_id,
                )
                .values(status="pending", available_at=utcnow(), last_error=f"lost: {reason}")
            )
        if result.rowcount == 1:
            log.warning("outbox %s lost (%s): dispatching again", message_id, reason)
            moved += 1
    return moved


def _lost_reason(queue, job_id, status, started_at, cutoff) -> str | None:  # type: ignore[no-untyped-def]
    if job_id is None:
        return "no RQ job id"
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return "job missing from Redis"
    rq_status = job.get_status(refresh=False)
    if rq_status in ALIVE:
        return None
    if rq_status == JobStatus.STARTED:
        beat = job.last_heartbeat or job.started_at
        if beat is not None and beat.replace(tzinfo=cutoff.tzinfo) < cutoff:
            return f"no heartbeat since {beat.isoformat()}"
        return None
    if rq_status == JobStatus.FINISHED and status == "running":
        return None if started_at and started_at > cutoff else "finished in RQ but not recorded"
    return f"RQ status {rq_status}"


def run_loop(
    ctx: JobContext, queue: Queue, stop: threading.Event, *, interval: float = 1.0
) -> None:
    """Dispatch, sweep and schedule until `stop` is set."""
    log.info("outbox dispatcher started (queue %s)", queue.name)
    while not stop.is_set():
        try:
            schedule_periodic(ctx)
            dispatch(ctx, queue)
            sweep(ctx, queue)
        except RedisError as exc:
            log.warning("dispatcher: Redis unavailable: %s", exc)
        except Exception:
            log.exception("dispatcher loop error")
        stop.wait(interval)
