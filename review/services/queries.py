"""Read side: the article view, lists, the review queue and revision diffs, as JSON-ready dicts."""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from review.exceptions import InvalidInput, NotFound
from review.models import Article, Assignment, AuditEvent, Prescreen, Revision, User, utcnow
from review.policy import ReviewPolicy
from review.services.articles import (
    DEFAULT_POLICY,
    STAFF_ROLES,
    can_see_review,
    load_visible,
    required_science_approvals,
)
from review.services.people import Actor
from review.services.prescreens import latest_prescreen, prescreen_view
from review.states import STAGE_ROLES, Action, State, allowed_actions

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from review.db import Database

MAX_PER_PAGE = 100
MAX_PAGE = 100_000


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def user_ref(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name}


def event_view(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "actor": user_ref(event.actor),
        "reason_code": event.reason_code,
        "reason": event.reason,
        "revision": event.revision_id,
        "review_round": event.review_round,
        "at": iso(event.created_at),
    }


def summary_view(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "kind": article.kind,
        "state": article.state,
        "version": article.version,
        "title": article.title,
        "topics": list(article.topics),
        "audiences": list(article.audiences),
        "author": user_ref(article.author),
        "society": article.society.code if article.society else None,
        "updated_at": iso(article.updated_at),
        "published_at": iso(article.published_at),
    }


def _article_query():  # type: ignore[no-untyped-def]
    return select(Article).options(
        joinedload(Article.author),
        joinedload(Article.society),
        joinedload(Article.current_revision),
    )


def article_view(
    session: Session, article: Article, policy: ReviewPolicy = DEFAULT_POLICY
) -> dict[str, Any]:
    """The full article: revision, pre-screen, approvals, assignments and history."""
    revision = article.current_revision
    history = session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.article_id == article.id)
        .order_by(AuditEvent.id)
    ).all()
    prescreen = latest_prescreen(session, article.current_revision_id)
    assignments = session.scalars(
        select(Assignment)
        .where(Assignment.article_id == article.id, Assignment.review_round == article.review_round)
        .order_by(Assignment.id)
    ).all()
    science_approvals = {
        e.actor_id
        for e in history
        if e.action == Action.APPROVE
        and e.from_state == State.SCIENCE_REVIEW
        and e.review_round == article.review_round
    }
    view = summary_view(article)
    view.update(
        {
            "body_html": revision.body_html if revision else "",
            "body_text": revision.body_text if revision else "",
            "revision": (
                {
                    "id": revision.id,
                    "number": revision.number,
                    "content_hash": revision.content_hash,
                    "created_at": iso(revision.created_at),
                }
                if revision
                else None
            ),
            "review_round": article.review_round,
            "science_approvals": {
                "required": required_science_approvals(
                    session, article, policy, loaded=(prescreen,)
                ),
                "received": len(science_approvals),
            },
            "allowed_actions": [a.value for a in allowed_actions(State(article.state))],
            "created_at": iso(article.created_at),
            "prescreen": prescreen_view(session, article.current_revision_id, loaded=(prescreen,)),
            "assignments": [assignment_view(a) for a in assignments],
            "history": [event_view(e) for e in history],
        }
    )
    return view


def reader_view(article: Article) -> dict[str, Any]:
    """A published piece as any logged-in reader sees it: the text, no review material."""
    revision = article.current_revision
    view = summary_view(article)
    view.update(
        {
            "body_html": revision.body_html if revision else "",
            "body_text": revision.body_text if revision else "",
            "revision": None,
            "review_round": article.review_round,
            "science_approvals": None,
            "allowed_actions": [],
            "created_at": iso(article.created_at),
            "prescreen": None,
            "assignments": [],
            "history": [],
        }
    )
    return view


def assignment_view(a: Assignment) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": a.id,
        "stage": a.stage,
        "reviewer": user_ref(a.reviewer),
        "status": a.status,
        "assigned_at": iso(a.assigned_at),
        "due_at": iso(a.due_at),
        "overdue": a.status == "open" and a.due_at < now,
        "escalated": a.escalated_at is not None,
    }


def get_article(
    db: Database, actor: Actor, article_id: int, policy: ReviewPolicy = DEFAULT_POLICY
) -> dict[str, Any]:
    """One article as the actor may see it."""
    with db.read() as s:
        article = s.scalar(_article_query().where(Article.id == article_id))
        if article is None:
            raise NotFound(f"文章 {article_id} 不存在")
        load_visible(s, actor, article_id)
        if not can_see_review(actor, article):
            return reader_view(article)
        return article_view(s, article, policy)


def _visible_clause(actor: Actor):  # type: ignore[no-untyped-def]
    if actor.roles & STAFF_ROLES:
        return True
    return or_(Article.author_id == actor.id, Article.state == State.PUBLISHED)


def _page(page: int, per_page: int) -> tuple[int, int]:
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page 须在 1 到 {MAX_PAGE} 之间", details={"field": "page"})
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page 须在 1 到 {MAX_PER_PAGE} 之间", details={"field": "per_page"})
    return page, per_page


def list_articles(
    db: Database,
    actor: Actor,
    *,
    state: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> dict[str, Any]:
    """A page of articles the actor may see, newest first, optionally filtered by state."""
    page, per_page = _page(page, per_page)
    if state is not None and state not in {s.value for s in State}:
        raise InvalidInput(f"未知状态：{state}", details={"field": "state"})
    where = [_visible_clause(actor)]
    if state:
        where.append(Article.state == state)
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(Article).where(*where)) or 0
        rows = s.scalars(
            _article_query()
            .where(*where)
            .order_by(Article.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return {
            "items": [summary_view(a) for a in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
        }


def review_queue(db: Database, actor: Actor, *, limit: int = 100) -> dict[str, Any]:
    """What awaits the actor, never their own articles: first what is assigned to them, then
    articles whose pre-screened topics match their declared expertise, then oldest first."""
    stages = [stage for stage, role in STAGE_ROLES.items() if actor.has(role)]
    if not stages:
        return {"items": [], "total": 0}
    already_approved = exists().where(
        AuditEvent.article_id == Article.id,
        AuditEvent.actor_id == actor.id,
        AuditEvent.action == Action.APPROVE,
        AuditEvent.review_round == Article.review_round,
        AuditEvent.from_state == State.SCIENCE_REVIEW,
    )
    where = and_(
        Article.state.in_([s.value for s in stages]),
        Article.author_id != actor.id,
        ~and_(Article.state == State.SCIENCE_REVIEW, already_approved),
    )
    with db.read() as s:
        rows = s.scalars(
            _article_query().where(where).order_by(Article.updated_at, Article.id).limit(500)
        ).all()
        total = s.scalar(select(func.count()).select_from(Article).where(where)) or 0
        revision_ids = [a.current_revision_id for a in rows if a.current_revision_id]
        topics: dict[int, set[str]] = {}
        for revision_id, found in s.execute(
            select(Prescreen.revision_id, Prescreen.topics)
            .where(Prescreen.revision_id.in_(revision_ids))
            .order_by(Prescreen.id)
        ):
            topics[revision_id] = {t.get("code") for t in found if isinstance(t, dict)}
        mine = set(
            s.scalars(
                select(Assignment.article_id).where(
                    Assignment.reviewer_id == actor.id,
                    Assignment.status == "open",
                    Assignment.article_id.in_([a.id for a in rows]),
                )
            )
        )

        def rank(article: Article) -> tuple[int, int]:
            matched = len(topics.get(article.current_revision_id or 0, set()) & actor.expertise)
            return (0 if article.id in mine else 1, -matched)

        ordered = sorted(rows, key=rank)[:limit]  # stable: keeps oldest-first within a rank
        items = []
        for article in ordered:
            item = summary_view(article)
            item["assigned_to_me"] = article.id in mine
            item["topics_matched"] = sorted(
                topics.get(article.current_revision_id or 0, set()) & actor.expertise
            )
            items.append(item)
        return {"items": items, "total": total}


def revision_list(db: Database, actor: Actor, article_id: int) -> list[dict[str, Any]]:
    """All revisions of an article, oldest first."""
    with db.read() as s:
        load_visible(s, actor, article_id, review_material=True)
        rows = s.scalars(
            select(Revision).where(Revision.article_id == article_id).order_by(Revision.number)
        ).all()
        return [
            {
                "id": r.id,
                "number": r.number,
                "title": r.title,
                "content_hash": r.content_hash,
                "created_at": iso(r.created_at),
            }
            for r in rows
        ]


def revision_diff(
    db: Database, actor: Actor, article_id: int, from_number: int, to_number: int
) -> dict[str, Any]:
    """Unified text diff between two revisions of an article (by revision number)."""
    with db.read() as s:
        load_visible(s, actor, article_id, review_material=True)
        rows = {
            r.number: r
            for r in s.scalars(
                select(Revision).where(
                    Revision.article_id == article_id,
                    Revision.number.in_([from_number, to_number]),
                )
            )
        }
        missing = [n for n in (from_number, to_number) if n not in rows]
        if missing:
            raise NotFound(f"修订版本不存在：{missing}")
        a, b = rows[from_number], rows[to_number]
        lines = difflib.unified_diff(
            [a.title, "", *a.body_text.splitlines()],
            [b.title, "", *b.body_text.splitlines()],
            fromfile=f"revision {a.number}",
            tofile=f"revision {b.number}",
            lineterm="",
        )
        return {"from": a.number, "to": b.number, "diff": "\n".join(lines)}


def current_revision_id(db: Database, article_id: int) -> int | None:
    """Id of the revision currently under review (no visibility check: for jobs)."""
    with db.read() as s:
        return s.scalar(select(Article.current_revision_id).where(Article.id == article_id))


def published_list(db: Database, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest published pieces, for the public site."""
    with db.read() as s:
        rows = s.scalars(
            _article_query()
            .where(Article.state == State.PUBLISHED)
            .order_by(Article.published_at.desc(), Article.id.desc())
            .limit(limit)
        ).all()
        return [_public_view(a) for a in rows]


def published_article(db: Database, article_id: int) -> dict[str, Any]:
    """One published piece for the public site; NotFound if it is not (or no longer) published."""
    with db.read() as s:
        article = s.scalar(
            _article_query().where(Article.id == article_id, Article.state == State.PUBLISHED)
        )
        if article is None:
            raise NotFound(f"文章 {article_id} 不存在或未发布")
        view = _public_view(article)
        revision = article.current_revision
        view["body_html"] = revision.body_html if revision else ""
        return view


def _public_view(article: Article) -> dict[str, Any]:
    revision = article.current_revision
    return {
        "id": article.id,
        "kind": article.kind,
        "title": revision.title if revision else article.title,
        "topics": list(article.topics),
        "society": article.society.name if article.society else "",
        "published_on": article.published_at.date().isoformat() if article.published_at else "",
    }
