"""Reviewer comments anchored to a passage of a revision, with replies and resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from review.exceptions import InvalidInput, NotAllowed, NotFound
from review.models import Comment, Revision, utcnow
from review.services.articles import STAFF_ROLES, load_visible
from review.services.people import Actor
from review.services.queries import iso, user_ref

if TYPE_CHECKING:
    from review.db import Database

MAX_COMMENT = 5000


def comment_view(c: Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "revision": c.revision_id,
        "parent": c.parent_id,
        "start": c.start,
        "end": c.end,
        "quote": c.quote,
        "text": c.text,
        "author": user_ref(c.author),
        "created_at": iso(c.created_at),
        "resolved": c.resolved_at is not None,
        "resolved_at": iso(c.resolved_at),
    }


def _may_comment(actor: Actor, author_id: int) -> bool:
    return actor.id == author_id or bool(actor.roles & STAFF_ROLES)


def add_comment(
    db: Database,
    actor: Actor,
    article_id: int,
    *,
    revision_id: int | None,
    text: str,
    start: int | None = None,
    end: int | None = None,
    parent_id: int | None = None,
) -> dict[str, Any]:
    """Attach a comment to a character range of a revision's plain text, or reply to one."""
    text = text.strip()
    if not text or len(text) > MAX_COMMENT:
        raise InvalidInput(f"评论内容不能为空，且不超过 {MAX_COMMENT} 个字符")
    with db.write() as s:
        article = load_visible(s, actor, article_id)
        if not _may_comment(actor, article.author_id):
            raise NotAllowed("只有作者和审核人员可以评论")
        parent = None
        if parent_id is not None:
            parent = s.get(Comment, parent_id)
            if parent is None or parent.article_id != article_id:
                raise NotFound(f"评论 {parent_id} 不存在")
            revision_id = parent.revision_id
            start, end = parent.start, parent.end
        if revision_id is None:
            raise InvalidInput("需要指定修订版本（revision）", details={"field": "revision"})
        revision = s.get(Revision, revision_id)
        if revision is None or revision.article_id != article_id:
            raise NotFound(f"修订版本 {revision_id} 不属于文章 {article_id}")
        if (start is None) != (end is None):
            raise InvalidInput("start 与 end 须同时给出")
        quote = ""
        if start is not None and end is not None:
            if not 0 <= start < end <= len(revision.body_text):
                raise InvalidInput(
                    f"字符范围无效：须满足 0 ≤ start < end ≤ {len(revision.body_text)}",
                    details={"field": "start"},
                )
            quote = revision.body_text[start:end]
        comment = Comment(
            article_id=article_id,
            revision_id=revision.id,
            parent_id=parent.id if parent else None,
            author_id=actor.id,
            start=start,
            end=end,
            quote=quote,
            text=text,
        )
        s.add(comment)
        s.flush()
        s.refresh(comment, ["author"])
        return comment_view(comment)


def list_comments(
    db: Database, actor: Actor, article_id: int, *, revision_id: int | None = None
) -> list[dict[str, Any]]:
    """Comments on an article (optionally one revision), in thread order."""
    with db.read() as s:
        load_visible(s, actor, article_id, review_material=True)
        query = select(Comment).where(Comment.article_id == article_id)
        if revision_id is not None:
            query = query.where(Comment.revision_id == revision_id)
        return [comment_view(c) for c in s.scalars(query.order_by(Comment.id))]


def resolve_comment(db: Database, actor: Actor, article_id: int, comment_id: int) -> dict[str, Any]:
    """Mark a comment thread resolved."""
    with db.write() as s:
        article = load_visible(s, actor, article_id)
        comment = s.get(Comment, comment_id)
        if comment is None or comment.article_id != article_id:
            raise NotFound(f"评论 {comment_id} 不存在")
        if not _may_comment(actor, article.author_id):
            raise NotAllowed("只有作者和审核人员可以处理评论")
        if comment.resolved_at is None:
            comment.resolved_at = utcnow()
            comment.resolved_by_id = actor.id
        return comment_view(comment)
