"""Pre-screen results stored with revisions, their status, and expert verdicts for retraining."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from review.exceptions import InvalidInput, NotFound
from review.models import AuditEvent, OutboxMessage, Prescreen, Revision
from review.states import Action, ReasonCode, State

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from review.db import Database

log = logging.getLogger(__name__)

# Expert refusals that mean "this text carries misinformation".
MISINFO_REASONS = frozenset({ReasonCode.FACTUAL_ERROR, ReasonCode.UNSUPPORTED_CLAIM})


def revision_text(db: Database, revision_id: int) -> str:
    """Title and plain text of a revision, as the pre-screener reads it."""
    with db.read() as s:
        revision = s.get(Revision, revision_id)
        if revision is None:
            raise NotFound(f"修订版本 {revision_id} 不存在")
        return f"{revision.title}\n{revision.body_text}"


def has_prescreen(db: Database, revision_id: int, model_version: str) -> bool:
    with db.read() as s:
        return (
            s.scalar(
                select(Prescreen.id).where(
                    Prescreen.revision_id == revision_id,
                    Prescreen.model_version == model_version,
                )
            )
            is not None
        )


def record_prescreen(db: Database, revision_id: int, result: dict[str, Any]) -> int:
    """Store a result once per (revision, model version); a repeat returns the stored row's id."""
    version = str(result.get("model_version") or "")
    risk = result.get("risk")
    if not version or not isinstance(risk, int | float) or not 0.0 <= float(risk) <= 1.0:
        raise InvalidInput("预审结果缺少模型版本或风险值无效")
    try:
        with db.write() as s:
            existing = s.scalar(
                select(Prescreen).where(
                    Prescreen.revision_id == revision_id, Prescreen.model_version == version
                )
            )
            if existing is not None:
                return existing.id
            if s.get(Revision, revision_id) is None:
                raise NotFound(f"修订版本 {revision_id} 不存在")
            row = Prescreen(
                revision_id=revision_id,
                model_version=version,
                risk=float(risk),
                topics=list(result.get("topics") or []),
                flags=list(result.get("flags") or []),
            )
            s.add(row)
            s.flush()
            return row.id
    except IntegrityError:  # a concurrent run stored it first
        with db.read() as s:
            return s.scalar(
                select(Prescreen.id).where(
                    Prescreen.revision_id == revision_id, Prescreen.model_version == version
                )
            )


def latest_prescreen(session: Session, revision_id: int | None) -> Prescreen | None:
    """The newest pre-screen result of a revision, if any."""
    if revision_id is None:
        return None
    return session.scalar(
        select(Prescreen)
        .where(Prescreen.revision_id == revision_id)
        .order_by(Prescreen.id.desc())
        .limit(1)
    )


def prescreen_view(
    session: Session, revision_id: int | None, *, loaded: tuple[Prescreen | None] | None = None
) -> dict[str, Any] | None:
    """`{"status": "pending|done|failed", ...}` for a revision; None if it was never submitted.
    Pass `loaded=(row,)` when the caller already looked up the latest result."""
    if revision_id is None:
        return None
    row = loaded[0] if loaded is not None else latest_prescreen(session, revision_id)
    if row is not None:
        return {
            "status": "done",
            "model_version": row.model_version,
            "risk": round(row.risk, 4),
            "topics": row.topics,
            "flags": row.flags,
            "at": row.created_at.isoformat().replace("+00:00", "Z"),
        }
    job = session.scalar(
        select(OutboxMessage).where(OutboxMessage.key == f"prescreen:{revision_id}")
    )
    if job is None:
        return None
    if job.status == "failed":
        return {"status": "failed", "attempts": job.attempts}  # details: admin jobs list
    return {"status": "pending", "job_status": job.status, "attempts": job.attempts}


def topics_of_revision(session: Session, revision_id: int | None) -> list[str]:
    """Topic codes the pre-screener found in a revision, best first."""
    view = prescreen_view(session, revision_id)
    if not view or view["status"] != "done":
        return []
    return [t["code"] for t in view["topics"] if isinstance(t, dict) and "code" in t]


def export_verdicts(db: Database) -> list[dict[str, str]]:
    """Expert decisions as training lines: approved in science review -> credible,
    rejected or sent back for factual errors / unsupported claims -> misinfo."""
    lines: dict[int, dict[str, str]] = {}
    with db.read() as s:
        rows = s.execute(
            select(AuditEvent, Revision)
            .join(Revision, Revision.id == AuditEvent.revision_id)
            .where(AuditEvent.from_state == State.SCIENCE_REVIEW)
            .order_by(AuditEvent.id)
        ).all()
        for event, revision in rows:
            text = f"{revision.title}\n{revision.body_text}"
            if event.action == Action.APPROVE:
                lines[revision.id] = {"text": text, "label": "credible"}
            elif event.reason_code in MISINFO_REASONS:
                lines[revision.id] = {"text": text, "label": "misinfo"}
    return list(lines.values())
