"""Reviewer assignment: matching expertise first, least loaded first, never the author."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from review.exceptions import InvalidInput, InvalidTransition, NotAllowed, NotFound
from review.models import (
    Article,
    Assignment,
    AuditEvent,
    User,
    UserExpertise,
    UserRole,
    utcnow,
)
from review.policy import ReviewPolicy
from review.services.articles import required_science_approvals
from review.services.notifications import notify
from review.services.people import Actor
from review.services.prescreens import topics_of_revision
from review.states import STAGE_ROLES, Role, State
from review.workdays import CHINA_TZ, add_working_days

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from review.db import Database

log = logging.getLogger(__name__)


def _candidates(s: Session, article: Article, stage: State) -> list[tuple[int, int, int]]:
    """(user id, matching topics, open load) for everyone who may review this stage."""
    role = STAGE_ROLES[stage]
    topics = (
        topics_of_revision(s, article.current_revision_id) if stage == State.SCIENCE_REVIEW else []
    )
    load = (
        select(Assignment.reviewer_id, func.count().label("n"))
        .where(Assignment.status == "open")
        .group_by(Assignment.reviewer_id)
        .subquery()
    )
    matches = (
        select(UserExpertise.user_id, func.count().label("m"))
        .where(UserExpertise.topic.in_(topics or [""]))
        .group_by(UserExpertise.user_id)
        .subquery()
    )
    rows = s.execute(
        select(User.id, func.coalesce(matches.c.m, 0), func.coalesce(load.c.n, 0))
        .join(UserRole, UserRole.user_id == User.id)
        .outerjoin(load, load.c.reviewer_id == User.id)
        .outerjoin(matches, matches.c.user_id == User.id)
        .where(UserRole.role == role, User.is_active.is_(True), User.id != article.author_id)
    ).all()
    return [(uid, int(m), int(n)) for uid, m, n in rows]


def rank_candidates(rows: list[tuple[int, int, int]]) -> list[int]:
    """Most matching topics first, then least open assignments, then longest-standing user."""
    return [uid for uid, _m, _n in sorted(rows, key=lambda r: (-r[1], r[2], r[0]))]


def assign_reviewers(
    db: Database,
    article_id: int,
    stage: str,
    review_round: int,
    policy: ReviewPolicy,
    *,
    now: datetime | None = None,
) -> list[int]:
    """Assign reviewers to a stage the article has entered; idempotent per (article, round, stage)."""
    now = now or utcnow()
    stage_state = State(stage)
    with db.write() as s:
        article = s.get(Article, article_id)
        if article is None:
            raise NotFound(f"文章 {article_id} 不存在")
        if article.state != stage_state or article.review_round != review_round:
            log.info(
                "article %s left %s round %s; nothing to assign", article_id, stage, review_round
            )
            return []
        existing = list(
            s.scalars(
                select(Assignment.reviewer_id).where(
                    Assignment.article_id == article_id,
                    Assignment.review_round == review_round,
                    Assignment.stage == stage,
                )
            )
        )
        if existing:
            return existing
        wanted = 1
        if stage_state == State.SCIENCE_REVIEW:
            wanted = required_science_approvals(s, article, policy)
        chosen = rank_candidates(_candidates(s, article, stage_state))[:wanted]
        if not chosen:
            log.warning("no %s available for article %s", STAGE_ROLES[stage_state], article_id)
        due = add_working_days(now, policy.sla_days(stage))
        for reviewer_id in chosen:
            s.add(
                Assignment(
                    article_id=article_id,
                    review_round=review_round,
                    stage=stage,
                    reviewer_id=reviewer_id,
                    assigned_at=now,
                    due_at=due,
                )
            )
            notify(
                s,
                reviewer_id,
                "assigned",
                article_id,
                f"《{article.title}》待你审核（{_stage_name(stage)}），请于 "
                f"{due.astimezone(CHINA_TZ).strftime('%Y-%m-%d %H:%M')} 前处理。",
                key=f"assigned:{article_id}:{review_round}:{stage}:{reviewer_id}",
            )
        return chosen


def reassign(
    db: Database,
    actor: Actor,
    article_id: int,
    *,
    reviewer_id: int,
    policy: ReviewPolicy,
    now: datetime | None = None,
) -> dict[str, Any]:
    """An editor hands the current stage to another reviewer (e.g. an overdue assignment)."""
    if not actor.has(Role.EDITOR):
        raise NotAllowed("只有编辑可以改派审核人")
    now = now or utcnow()
    with db.write() as s:
        article = s.get(Article, article_id)
        if article is None:
            raise NotFound(f"文章 {article_id} 不存在")
        stage = State(article.state)
        if stage not in STAGE_ROLES:
            raise InvalidTransition(f"文章处于 {stage.value} 状态，没有可改派的审核环节")
        reviewer = s.get(User, reviewer_id)
        if reviewer is None or not reviewer.is_active:
            raise NotFound(f"用户 {reviewer_id} 不存在")
        if STAGE_ROLES[stage] not in {r.role for r in reviewer.role_rows}:
            raise InvalidInput(f"用户 {reviewer_id} 没有 {STAGE_ROLES[stage].value} 角色")
        if reviewer_id == article.author_id:
            raise InvalidInput("不能把文章派给作者本人审核")
        open_rows = list(
            s.scalars(
                select(Assignment).where(
                    Assignment.article_id == article_id,
                    Assignment.review_round == article.review_round,
                    Assignment.stage == stage,
                    Assignment.status == "open",
                )
            )
        )
        if any(a.reviewer_id == reviewer_id for a in open_rows):
            raise InvalidInput("该审核人已被指派")
        if reviewer_id in _round_approvers(s, article, stage):
            raise InvalidInput("该审核人本轮已批准过，不能再次指派")
        overdue = [a for a in open_rows if a.due_at < now] or open_rows[:1]
        for a in overdue:
            a.status, a.closed_at = "reassigned", now
        previous = s.scalar(
            select(Assignment).where(
                Assignment.article_id == article_id,
                Assignment.review_round == article.review_round,
                Assignment.stage == stage,
                Assignment.reviewer_id == reviewer_id,
            )
        )
        due = add_working_days(now, policy.sla_days(stage))
        if previous is not None:  # assigned before and handed away: open it again
            previous.status, previous.assigned_at, previous.due_at = "open", now, due
            previous.reminded_at = previous.escalated_at = previous.closed_at = None
            assignment = previous
        else:
            assignment = Assignment(
                article_id=article_id,
                review_round=article.review_round,
                stage=stage,
                reviewer_id=reviewer_id,
                assigned_at=now,
                due_at=due,
            )
            s.add(assignment)
        notify(
            s,
            reviewer_id,
            "assigned",
            article_id,
            f"编辑将《{article.title}》改派给你审核（{_stage_name(stage)}）。",
            key=f"reassigned:{article_id}:{article.review_round}:{stage}:{reviewer_id}:{now.timestamp()}",
        )
        s.flush()
        return {
            "id": assignment.id,
            "reviewer": reviewer_id,
            "stage": stage.value,
            "due_at": due.isoformat().replace("+00:00", "Z"),
            "replaced": [a.reviewer_id for a in overdue],
        }


def _round_approvers(s: Session, article: Article, stage: State) -> set[int]:
    return set(
        s.scalars(
            select(AuditEvent.actor_id).where(
                AuditEvent.article_id == article.id,
                AuditEvent.review_round == article.review_round,
                AuditEvent.from_state == stage,
                AuditEvent.action == "approve",
            )
        )
    )


def check_deadlines(
    db: Database, policy: ReviewPolicy, *, now: datetime | None = None
) -> dict[str, int]:
    """Remind reviewers before the due time and escalate overdue assignments to the editors."""
    now = now or utcnow()
    reminded = escalated = 0
    with db.write() as s:
        soon = now + timedelta(hours=policy.remind_hours_before_due)
        for a in s.scalars(
            select(Assignment).where(
                Assignment.status == "open",
                Assignment.reminded_at.is_(None),
                Assignment.due_at <= soon,
                Assignment.due_at > now,
            )
        ):
            article = s.get(Article, a.article_id)
            notify(
                s,
                a.reviewer_id,
                "reminder",
                a.article_id,
                f"提醒：《{article.title if article else a.article_id}》的审核将于 "
                f"{a.due_at.astimezone(CHINA_TZ).strftime('%Y-%m-%d %H:%M')} 到期。",
                key=f"reminder:{a.id}",
            )
            a.reminded_at = now
            reminded += 1
        editors = list(s.scalars(select(UserRole.user_id).where(UserRole.role == Role.EDITOR)))
        for a in s.scalars(
            select(Assignment).where(
                Assignment.status == "open",
                Assignment.escalated_at.is_(None),
                Assignment.due_at <= now,
            )
        ):
            article = s.get(Article, a.article_id)
            for editor_id in editors:
                notify(
                    s,
                    editor_id,
                    "overdue",
                    a.article_id,
                    f"逾期：{a.reviewer.name} 负责的《{article.title if article else a.article_id}》"
                    f"（{_stage_name(a.stage)}）已超过截止时间，可改派其他审核人。",
                    key=f"overdue:{a.id}:{editor_id}",
                )
            a.escalated_at = now
            escalated += 1
    return {"reminded": reminded, "escalated": escalated}


def _stage_name(stage: str) -> str:
    return {
        "political_review": "政治性审核",
        "science_review": "科学性审核",
        "final_review": "终审",
    }.get(stage, stage)
