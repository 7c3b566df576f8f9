"""Writing and reviewing articles: create, edit, and every state-machine action."""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from review import outbox
from review.exceptions import InvalidInput, InvalidTransition, NotAllowed, NotFound, StaleVersion
from review.models import (
    AUDIENCES,
    KINDS,
    Article,
    Assignment,
    AuditEvent,
    Prescreen,
    Revision,
    utcnow,
)
from review.policy import ReviewPolicy
from review.sanitize import (
    MAX_NESTING,
    HtmlTooComplex,
    content_hash,
    html_to_text,
    sanitize_html,
)
from review.services.people import Actor
from review.services.prescreens import latest_prescreen
from review.states import (
    EDITABLE_STATES,
    STAGE_ROLES,
    TRANSITIONS,
    Action,
    Guard,
    ReasonCode,
    Role,
    State,
    allowed_actions,
)

if TYPE_CHECKING:
    from review.db import Database

log = logging.getLogger(__name__)
DEFAULT_POLICY = ReviewPolicy()

MAX_TITLE = 200
MAX_TOPICS = 10
MAX_TOPIC_LEN = 30
MAX_REASON = 5000
STAFF_ROLES = frozenset({Role.POLITICAL_REVIEWER, Role.SCIENCE_REVIEWER, Role.EDITOR, Role.ADMIN})


def can_view(actor: Actor, article: Article) -> bool:
    """Authors see their own work, staff see everything, anyone sees what is published."""
    return (
        article.author_id == actor.id
        or bool(actor.roles & STAFF_ROLES)
        or article.state == State.PUBLISHED
    )


def can_see_review(actor: Actor, article: Article) -> bool:
    """Review material (history, reasons, drafts, comments, assignments, pre-screen) is for
    the author and staff, not for every reader of a published piece."""
    return article.author_id == actor.id or bool(actor.roles & STAFF_ROLES)


def load_visible(
    session: Session, actor: Actor, article_id: int, *, review_material: bool = False
) -> Article:
    """The article if the actor may see it (and its review material, if asked);
    NotFound otherwise (never leak existence)."""
    article = session.get(Article, article_id)
    if article is None or not can_view(actor, article):
        raise NotFound(f"文章 {article_id} 不存在")
    if review_material and not can_see_review(actor, article):
        raise NotFound(f"文章 {article_id} 的审核材料不对你公开")
    return article


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("标题不能为空", details={"field": "title"})
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"标题不能超过 {MAX_TITLE} 个字符", details={"field": "title"})
    return title


def _clean_topics(topics: list[str]) -> list[str]:
    cleaned: list[str] = []
    for topic in topics:
        topic = topic.strip()
        if not topic or len(topic) > MAX_TOPIC_LEN:
            raise InvalidInput(
                f"主题不能为空，且不超过 {MAX_TOPIC_LEN} 个字符", details={"field": "topics"}
            )
        if topic not in cleaned:
            cleaned.append(topic)
    if len(cleaned) > MAX_TOPICS:
        raise InvalidInput(f"主题最多 {MAX_TOPICS} 个", details={"field": "topics"})
    return cleaned


def _clean_audiences(audiences: list[str]) -> list[str]:
    unknown = [a for a in audiences if a not in AUDIENCES]
    if unknown:
        raise InvalidInput(
            f"未知的目标受众：{'、'.join(unknown)}（可选：{'、'.join(AUDIENCES)}）",
            details={"field": "audiences"},
        )
    return [a for a in AUDIENCES if a in audiences]


def clean_body(html: str) -> str:
    """Sanitize article HTML once, before any transaction (it is slow on big inputs)."""
    try:
        return sanitize_html(html)
    except HtmlTooComplex as exc:
        raise InvalidInput(
            f"正文 HTML 嵌套层级过深（上限 {MAX_NESTING} 层）", details={"field": "body_html"}
        ) from exc


def _add_revision(
    session: Session, article: Article, actor: Actor, title: str, clean_html: str
) -> bool:
    """Append a revision if the text changed; returns whether one was added."""
    digest = content_hash(title, clean_html, sanitized=True)
    current = article.current_revision
    if current is not None and current.content_hash == digest:
        return False
    number = (current.number + 1) if current is not None else 1
    revision = Revision(
        article_id=article.id,
        number=number,
        title=title,
        body_html=clean_html,
        body_text=html_to_text(clean_html, sanitized=True),
        content_hash=digest,
        author_id=actor.id,
    )
    session.add(revision)
    session.flush()
    article.current_revision = revision
    return True


def create_article(
    db: Database,
    actor: Actor,
    *,
    title: str,
    body_html: str,
    topics: list[str] | None = None,
    audiences: list[str] | None = None,
    kind: str = "article",
) -> int:
    """A writer starts a draft; returns the new article's id."""
    if not actor.has(Role.WRITER):
        raise NotAllowed("只有作者（writer）可以创建文章")
    if kind not in KINDS:
        raise InvalidInput(f"未知的文章类型：{kind}", details={"field": "kind"})
    title = _clean_title(title)
    topic_list = _clean_topics(topics or [])
    audience_list = _clean_audiences(audiences or [])
    clean_html = clean_body(body_html)
    with db.write() as s:
        article = Article(
            kind=kind,
            title=title,
            state=State.DRAFT,
            topics=topic_list,
            audiences=audience_list,
            author_id=actor.id,
            society_id=actor.society_id,
        )
        s.add(article)
        s.flush()
        _add_revision(s, article, actor, title, clean_html)
        return article.id


def edit_article(
    db: Database,
    actor: Actor,
    article_id: int,
    *,
    version: int,
    title: str | None = None,
    body_html: str | None = None,
    topics: list[str] | None = None,
    audiences: list[str] | None = None,
) -> None:
    """The author edits a draft or an article sent back for changes; text edits add a revision."""
    clean_html = clean_body(body_html) if body_html is not None else None
    try:
        with db.write() as s:
            article = load_visible(s, actor, article_id)
            if article.author_id != actor.id:
                raise NotAllowed("只有作者本人可以修改文章")
            _check_version(article, version)
            if article.state not in EDITABLE_STATES:
                raise InvalidTransition(
                    f"文章处于“{article.state}”状态，不能修改（仅草稿或退回修改状态可改）"
                )
            current = article.current_revision
            assert current is not None
            new_title = _clean_title(title) if title is not None else current.title
            new_html = clean_html if clean_html is not None else current.body_html
            if topics is not None:
                article.topics = _clean_topics(topics)
            if audiences is not None:
                article.audiences = _clean_audiences(audiences)
            _add_revision(s, article, actor, new_title, new_html)
            article.title = new_title
            article.updated_at = utcnow()
            article.version += 1
    except StaleDataError as exc:
        raise StaleVersion("文章刚被他人修改，请刷新后重试") from exc


def _check_version(article: Article, version: int) -> None:
    if version != article.version:
        raise StaleVersion(
            f"文章版本已变为 {article.version}（你提交的是 {version}），请刷新后重试",
            details={"current_version": article.version},
        )


def _round_approvals(session: Session, article: Article, stage: State) -> list[int]:
    """Ids of users who approved the article at a stage in the current review round."""
    return list(
        session.scalars(
            select(AuditEvent.actor_id).where(
                AuditEvent.article_id == article.id,
                AuditEvent.review_round == article.review_round,
                AuditEvent.action == Action.APPROVE,
                AuditEvent.from_state == stage,
            )
        )
    )


def _clean_reason(
    reason_code: str | None, reason: str | None, required: bool
) -> tuple[str | None, str | None]:
    if reason_code is not None and reason_code not in {c.value for c in ReasonCode}:
        raise InvalidInput(
            f"未知的原因代码：{reason_code}（可选：{', '.join(c.value for c in ReasonCode)}）",
            code="invalid_reason",
            details={"field": "reason_code"},
        )
    reason = reason.strip() if reason else None
    if reason and len(reason) > MAX_REASON:
        raise InvalidInput(f"原因说明不能超过 {MAX_REASON} 个字符", code="invalid_reason")
    if required and (reason_code is None or not reason):
        raise InvalidInput(
            "此操作需要原因代码（reason_code）和书面说明（reason）",
            code="reason_required",
            details={"field": "reason_code" if reason_code is None else "reason"},
        )
    return reason_code, reason


def perform(
    db: Database,
    actor: Actor,
    article_id: int,
    action: str,
    *,
    version: int,
    reason_code: str | None = None,
    reason: str | None = None,
    policy: ReviewPolicy = DEFAULT_POLICY,
) -> str:
    """Apply one state-machine action in one transaction; returns the new state."""
    try:
        act = Action(action)
    except ValueError:
        raise NotFound(f"未知操作：{action}") from None
    try:
        with db.write() as s:
            article = load_visible(s, actor, article_id)
            return _apply(s, actor, article, act, version, reason_code, reason, policy)
    except StaleDataError as exc:
        raise StaleVersion("文章刚被他人处理，请刷新后重试") from exc


def _apply(
    s: Session,
    actor: Actor,
    article: Article,
    action: Action,
    version: int,
    reason_code: str | None,
    reason: str | None,
    policy: ReviewPolicy,
) -> str:
    _check_version(article, version)
    state = State(article.state)
    rule = TRANSITIONS.get((state, action))
    if rule is None:
        allowed = ", ".join(a.value for a in allowed_actions(state)) or "无"
        raise InvalidTransition(
            f"文章当前状态为 {state.value}，不能执行 {action.value}（可执行：{allowed}）"
        )
    if rule.role is not None and not actor.has(rule.role):
        raise NotAllowed(f"执行 {action.value} 需要角色 {rule.role.value}")
    to = rule.to

    @cache
    def science_approvers() -> frozenset[int]:
        return frozenset(_round_approvals(s, article, State.SCIENCE_REVIEW))

    for guard in rule.guards:
        if guard is Guard.AUTHOR_ONLY and article.author_id != actor.id:
            raise NotAllowed("只有作者本人可以执行此操作")
        if guard is Guard.NOT_AUTHOR and article.author_id == actor.id:
            raise NotAllowed("不能审核或发布自己的文章", code="own_article")
        if guard is Guard.OTHER_THAN_POLITICAL:
            if actor.id in _round_approvals(s, article, State.POLITICAL_REVIEW):
                raise NotAllowed(
                    "政治性审核与科学性审核须由不同的人签署", code="separation_of_duties"
                )
            if actor.id in science_approvers():
                raise NotAllowed("你已批准过此版本", code="already_approved")
        if guard is Guard.ENOUGH_SCIENCE_APPROVALS:
            done = len(science_approvers()) + 1
            if done < required_science_approvals(s, article, policy):
                to = state  # stays in science review until enough experts approved
    reason_code, reason = _clean_reason(reason_code, reason, rule.reason_required)

    if action is Action.SUBMIT:
        article.review_round += 1
        article.required_science_approvals = policy.science_approvals
    if to is State.PUBLISHED:
        article.published_at = utcnow()
    event = AuditEvent(
        article_id=article.id,
        actor_id=actor.id,
        action=action,
        from_state=state,
        to_state=to,
        reason_code=reason_code,
        reason=reason,
        revision_id=article.current_revision_id,
        review_round=article.review_round,
    )
    s.add(event)
    article.state = to
    article.updated_at = utcnow()
    article.version += 1
    s.flush()
    _close_assignments(s, article, state, to, actor)
    _record_jobs(s, article, event, state, to)
    log.info("article %s: %s by user %s, %s -> %s", article.id, action, actor.id, state, to)
    return to.value


def required_science_approvals(
    session: Session,
    article: Article,
    policy: ReviewPolicy,
    *,
    loaded: tuple[Prescreen | None] | None = None,
) -> int:
    """Expert approvals this article needs now: more when its current revision is high risk."""
    prescreen = (
        loaded[0] if loaded is not None else latest_prescreen(session, article.current_revision_id)
    )
    needed = policy.science_approvals_for(prescreen.risk if prescreen else None)
    return max(needed, article.required_science_approvals)


def _close_assignments(s: Session, article: Article, src: State, to: State, actor: Actor) -> None:
    """When a stage is decided, the decider's assignment is done and the others are closed."""
    if src not in STAGE_ROLES or src == to:
        if src == to:  # a science approval below the required count: only the approver is done
            for a in _open_assignments(s, article, src):
                if a.reviewer_id == actor.id:
                    a.status, a.closed_at = "done", utcnow()
        return
    for a in _open_assignments(s, article, src):
        a.status = "done" if a.reviewer_id == actor.id else "closed"
        a.closed_at = utcnow()


def _open_assignments(s: Session, article: Article, stage: State) -> list[Assignment]:
    return list(
        s.scalars(
            select(Assignment).where(
                Assignment.article_id == article.id,
                Assignment.review_round == article.review_round,
                Assignment.stage == stage,
                Assignment.status == "open",
            )
        )
    )


def _record_jobs(s: Session, article: Article, event: AuditEvent, src: State, to: State) -> None:
    """Outbox rows for what must follow this transition (same transaction)."""
    if to == State.POLITICAL_REVIEW and src in (State.DRAFT, State.CHANGES_REQUESTED):
        outbox.add_job(
            s,
            outbox.PRESCREEN_REVISION,
            {"revision_id": article.current_revision_id},
            key=f"prescreen:{article.current_revision_id}",
        )
    if to in STAGE_ROLES and to != src:
        outbox.add_job(
            s,
            outbox.ASSIGN_REVIEWERS,
            {"article_id": article.id, "stage": to.value, "review_round": article.review_round},
            key=f"assign:{article.id}:{article.review_round}:{to.value}",
        )
    outbox.add_job(s, outbox.NOTIFY_TRANSITION, {"event_id": event.id}, key=f"notify:{event.id}")
    if to in (State.PUBLISHED, State.RETRACTED):
        outbox.add_job(
            s, outbox.DELIVER_WEBHOOKS, {"event_id": event.id}, key=f"webhook:{event.id}"
        )
        outbox.add_job(s, outbox.REFRESH_FEEDS, {}, key=f"feeds:{event.id}")


def count_articles(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Article)) or 0
