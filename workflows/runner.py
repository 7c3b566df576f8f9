"""Running one outbox job: claim it, call its function, record done / retry / failed."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import select, update

from review import exceptions as domain
from review.models import OutboxMessage, utcnow
from workflows import context
from workflows.context import JobContext
from workflows.errors import PermanentJobError
from workflows.jobs import registry

log = logging.getLogger(__name__)

# Domain errors that no retry can fix: the data a job refers to is gone or invalid.
PERMANENT = (PermanentJobError, domain.NotFound, domain.InvalidInput, domain.NotAllowed)
CLAIMABLE = ("pending", "dispatched")


def _claim(ctx: JobContext, outbox_id: int) -> tuple[str, dict, int] | None:
    """Take the row for this run; a conditional update, so two claimants cannot both win."""
    with ctx.db.write() as s:
        row = s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.status.in_(CLAIMABLE))
            .values(status="running", started_at=utcnow(), attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.job, OutboxMessage.args, OutboxMessage.attempts)
        ).first()
    return (row.job, dict(row.args), row.attempts) if row is not None else None


def _finish(
    ctx: JobContext,
    outbox_id: int,
    status: str,
    error: str | None = None,
    retry_in: int | None = None,
    result: Any = None,
) -> None:
    """Record the outcome of this run, unless another run already recorded one."""
    values: dict[str, Any] = {"status": status}
    if result is not None:
        values["result"] = _json_safe(result)
    if error:
        values["last_error"] = error[-4000:]
    if status in ("done", "failed"):
        values["finished_at"] = utcnow()
    if retry_in is not None:
        values["available_at"] = utcnow() + timedelta(seconds=retry_in)
    with ctx.db.write() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "running")
            .values(**values)
        )


def run_message(ctx: JobContext, outbox_id: int, *, retry_by: Literal["rq", "outbox"]) -> str:
    """Run one job. Transient errors: re-raised for RQ's Retry (`rq`) or rescheduled in the
    outbox (`outbox`, the inline mode). Permanent errors and the last attempt: `failed`."""
    claimed = _claim(ctx, outbox_id)
    if claimed is None:
        return "skipped"
    job, args, attempt = claimed
    handler = registry(ctx).get(job)
    try:
        if handler is None:
            raise PermanentJobError(f"未知任务：{job}")
        result = handler(ctx, **args)
    except PERMANENT as exc:
        log.error("job %s #%s failed permanently: %s", job, outbox_id, exc)
        _finish(ctx, outbox_id, "failed", f"{type(exc).__name__}: {exc}")
        return "failed"
    except Exception as exc:
        error = "".join(traceback.format_exception_only(exc)).strip()
        if attempt >= ctx.max_attempts:
            log.error("job %s #%s failed after %s attempts: %s", job, outbox_id, attempt, error)
            _finish(ctx, outbox_id, "failed", error)
            return "failed"
        log.warning("job %s #%s attempt %s failed, will retry: %s", job, outbox_id, attempt, error)
        if retry_by == "outbox":
            _finish(ctx, outbox_id, "pending", error, retry_in=ctx.retry_intervals[attempt - 1])
            return "retry"
        _finish(ctx, outbox_id, "dispatched", error)
        raise
    _finish(ctx, outbox_id, "done", result=result)
    return "done"


def _json_safe(value: Any) -> Any:
    """The job's return value as stored JSON (small; anything else as its repr)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)[:2000]
    return json.loads(text) if len(text) <= 20_000 else text[:2000]


def run_outbox_job(outbox_id: int) -> str:
    """The function RQ runs: one outbox row, with the worker's configured context."""
    return run_message(context.current(), outbox_id, retry_by="rq")


def run_inline(ctx: JobContext, *, limit: int = 50) -> int:
    """Run due pending jobs in this process (the embedded mode without Redis), including jobs
    that those jobs record; each job at most once per call, so a retry waits for the next."""
    _recover_stale_inline(ctx)
    seen: set[int] = set()
    while len(seen) < limit:
        with ctx.db.read() as s:
            ids = [
                i
                for i in s.scalars(
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.status == "pending", OutboxMessage.available_at <= utcnow()
                    )
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
                if i not in seen
            ][: limit - len(seen)]
        if not ids:
            break
        for outbox_id in ids:
            seen.add(outbox_id)
            run_message(ctx, outbox_id, retry_by="outbox")
    return len(seen)


def _recover_stale_inline(ctx: JobContext) -> None:
    """Jobs an in-process run left `running` (the process died mid-job) go back to pending."""
    cutoff = utcnow() - timedelta(seconds=ctx.stale_after)
    stale = (
        OutboxMessage.status == "running",
        OutboxMessage.rq_job_id.is_(None),
        OutboxMessage.started_at < cutoff,
    )
    with ctx.db.read() as s:
        if s.scalar(select(OutboxMessage.id).where(*stale).limit(1)) is None:
            return
    with ctx.db.write() as s:
        result = s.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == "running",
                OutboxMessage.rq_job_id.is_(None),
                OutboxMessage.started_at < cutoff,
            )
            .values(
                status="pending", available_at=utcnow(), last_error="lost: process ended mid-job"
            )
        )
    if result.rowcount:
        log.warning("%s in-process job(s) were left running; queued again", result.rowcount)
