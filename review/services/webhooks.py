"""Partner webhook subscriptions (科普中国, 科普湖南 ...) and the events they receive."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select

from review import outbox
from review.exceptions import InvalidInput, NotAllowed, NotFound
from review.models import Article, AuditEvent, WebhookSubscription
from review.services.people import Actor
from review.states import Role

if TYPE_CHECKING:
    from review.db import Database

EVENTS = {"published": "article.published", "retracted": "article.retracted"}


def create_subscription(
    db: Database, actor: Actor, *, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    """Register a partner endpoint; the signing secret is returned once."""
    if not actor.has(Role.ADMIN):
        raise NotAllowed("只有管理员可以登记 Webhook")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        raise InvalidInput("Webhook 地址必须是 http(s) URL", details={"field": "url"})
    events = events or sorted(EVENTS.values())
    unknown = set(events) - set(EVENTS.values())
    if unknown:
        raise InvalidInput(f"未知事件：{', '.join(sorted(unknown))}", details={"field": "events"})
    secret = secrets.token_urlsafe(32)
    with db.write() as s:
        sub = WebhookSubscription(url=url, secret=secret, events=sorted(set(events)))
        s.add(sub)
        s.flush()
        return {"id": sub.id, "url": url, "events": sub.events, "secret": secret}


def fan_out(db: Database, event_id: int) -> int:
    """One delivery job per subscriber of an event (each retried on its own)."""
    with db.write() as s:
        event = s.get(AuditEvent, event_id)
        if event is None:
            raise NotFound(f"审核事件 {event_id} 不存在")
        name = EVENTS.get(event.to_state)
        if name is None:
            return 0
        subs = [
            sub
            for sub in s.scalars(select(WebhookSubscription).where(WebhookSubscription.active))
            if name in sub.events
        ]
        for sub in subs:
            outbox.add_job(
                s,
                outbox.DELIVER_WEBHOOK,
                {"subscription_id": sub.id, "event_id": event_id},
                key=f"webhook:{event_id}:{sub.id}",
            )
        return len(subs)


def delivery(db: Database, subscription_id: int, event_id: int) -> tuple[str, str, dict[str, Any]]:
    """(url, secret, payload) for one delivery."""
    with db.read() as s:
        sub = s.get(WebhookSubscription, subscription_id)
        event = s.get(AuditEvent, event_id)
        if sub is None or event is None:
            raise NotFound("Webhook 订阅或事件不存在")
        article = s.get(Article, event.article_id)
        assert article is not None
        payload = {
            "id": f"{event_id}-{subscription_id}",
            "event": EVENTS.get(event.to_state, event.to_state),
            "article": {
                "id": article.id,
                "title": article.title,
                "kind": article.kind,
                "state": article.state,
                "topics": article.topics,
            },
            "reason_code": event.reason_code,
            "reason": event.reason,
            "at": event.created_at.isoformat().replace("+00:00", "Z"),
        }
        return sub.url, sub.secret, payload
