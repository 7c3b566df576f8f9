"""In-app notifications: created idempotently by jobs, listed and marked read by users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from review.exceptions import NotFound
from review.models import Article, AuditEvent, Notification, User, utcnow
from review.services.people import Actor
from review.states import Action

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from review.db import Database

ACTION_NAMES = {
    Action.SUBMIT: "已提交审核",
    Action.APPROVE: "已通过",
    Action.REQUEST_CHANGES: "被退回修改",
    Action.REJECT: "未通过审核",
    Action.PUBLISH: "已发布",
    Action.WITHDRAW: "已撤回",
    Action.RETRACT: "已撤稿",
}


def notify(
    s: Session, user_id: int, kind: str, article_id: int | None, message: str, *, key: str
) -> bool:
    """Add a notification unless one with this key exists; returns whether one was added."""
    if s.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return False
    s.add(Notification(user_id=user_id, kind=kind, article_id=article_id, message=message, key=key))
    return True


def notify_for_event(db: Database, event_id: int) -> int:
    """Tell the author what happened to their article (idempotent per event)."""
    with db.write() as s:
        event = s.get(AuditEvent, event_id)
        if event is None:
            raise NotFound(f"审核事件 {event_id} 不存在")
        article = s.get(Article, event.article_id)
        assert article is not None
        if event.actor_id == article.author_id:
            return 0
        text = f"《{article.title}》{ACTION_NAMES.get(Action(event.action), event.action)}"
        if event.reason:
            text += f"：{event.reason}"
        return int(
            notify(s, article.author_id, event.action, article.id, text, key=f"event:{event_id}")
        )


def notification_view(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "article": n.article_id,
        "message": n.message,
        "created_at": n.created_at.isoformat().replace("+00:00", "Z"),
        "read": n.read_at is not None,
    }


def list_notifications(
    db: Database, actor: Actor, *, unread_only: bool = False, limit: int = 50
) -> dict[str, Any]:
    """The actor's newest notifications and their unread count."""
    with db.read() as s:
        query = select(Notification).where(Notification.user_id == actor.id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = s.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()
        unread = s.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        )
        return {"items": [notification_view(n) for n in rows], "unread": unread or 0}


def mark_read(db: Database, actor: Actor, notification_id: int) -> dict[str, Any]:
    with db.write() as s:
        n = s.get(Notification, notification_id)
        if n is None or n.user_id != actor.id:
            raise NotFound(f"通知 {notification_id} 不存在")
        if n.read_at is None:
            n.read_at = utcnow()
        return notification_view(n)


def pending_emails(db: Database, limit: int = 100) -> list[tuple[int, str, str]]:
    """(notification id, recipient email, message) not yet e-mailed."""
    with db.read() as s:
        rows = s.execute(
            select(Notification.id, User.email, Notification.message)
            .join(User, User.id == Notification.user_id)
            .where(Notification.emailed_at.is_(None))
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        return [(i, e, m) for i, e, m in rows]


def mark_emailed(db: Database, notification_id: int) -> None:
    with db.write() as s:
        n = s.get(Notification, notification_id)
        if n is not None and n.emailed_at is None:
            n.emailed_at = utcnow()
