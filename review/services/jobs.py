"""The outbox as operators see it: list jobs, see failures, requeue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from review import outbox
from review.exceptions import InvalidInput, InvalidTransition, NotFound
from review.models import OutboxMessage, utcnow

if TYPE_CHECKING:
    from review.db import Database

STATUSES = ("pending", "dispatched", "running", "done", "failed")


def job_view(m: OutboxMessage) -> dict[str, Any]:
    def iso(v):  # type: ignore[no-untyped-def]
        return v.isoformat().replace("+00:00", "Z") if v else None

    return {
        "id": m.id,
        "job": m.job,
        "args": m.args,
        "key": m.key,
        "status": m.status,
        "attempts": m.attempts,
        "dispatches": m.dispatches,
        "rq_job_id": m.rq_job_id,
        "result": m.result,
        "last_error": m.last_error,
        "created_at": iso(m.created_at),
        "dispatched_at": iso(m.dispatched_at),
        "finished_at": iso(m.finished_at),
    }


def list_jobs(db: Database, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Outbox rows, newest first, optionally of one status."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"未知的任务状态：{status}（可选：{', '.join(STATUSES)}）")
    with db.read() as s:
        query = select(OutboxMessage)
        if status:
            query = query.where(OutboxMessage.status == status)
        return [
            job_view(m) for m in s.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit))
        ]


def requeue(db: Database, job_id: int) -> dict[str, Any]:
    """Put a failed job back in line; its attempts start again."""
    with db.write() as s:
        m = s.get(OutboxMessage, job_id)
        if m is None:
            raise NotFound(f"任务 {job_id} 不存在")
        if m.status != "failed":
            raise InvalidTransition(f"只能重新排队失败的任务（当前状态：{m.status}）")
        m.status, m.attempts, m.available_at, m.finished_at = "pending", 0, utcnow(), None
        return job_view(m)


def enqueue_retrain(db: Database) -> dict[str, Any]:
    """Record a pre-screener retrain job (at most one per minute)."""
    now = utcnow()
    with db.write() as s:
        m = outbox.add_job(s, outbox.RETRAIN_PRESCREENER, {}, key=f"retrain:{now:%Y%m%d%H%M}")
        s.flush()
        return job_view(m)
