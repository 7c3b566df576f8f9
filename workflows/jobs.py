"""Job functions: explicit arguments (ids), their own sessions, idempotent effects."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from classifiers.exceptions import DataError
from classifiers.prescreen import default_model_path
from classifiers.resources import SEED_CORPUS
from classifiers.retrain import retrain_file
from classifiers.training import Record, load_records
from review import feeds, outbox
from review.services import assignments, notifications, prescreens, queries
from workflows.context import JobContext, forget_prescreener
from workflows.delivery import deliver_webhook, fan_out_webhooks, send_pending_emails

log = logging.getLogger(__name__)

Job = Callable[..., Any]


def prescreen_revision(ctx: JobContext, revision_id: int) -> dict[str, Any]:
    """Pre-screen a revision's text and store the result (once per model version)."""
    screener = ctx.prescreener()
    if prescreens.has_prescreen(ctx.db, revision_id, screener.version):
        return {"revision_id": revision_id, "skipped": True}
    result = screener.screen(prescreens.revision_text(ctx.db, revision_id)).to_dict()
    prescreens.record_prescreen(ctx.db, revision_id, result)
    return {"revision_id": revision_id, "risk": result["risk"]}


def assign_reviewers(ctx: JobContext, article_id: int, stage: str, review_round: int) -> list[int]:
    """Assign reviewers for a stage; the science stage waits for the pre-screen's topics."""
    if stage == "science_review":
        revision_id = queries.current_revision_id(ctx.db, article_id)
        if revision_id is not None:
            prescreen_revision(ctx, revision_id)  # idempotent: usually already done
    chosen = assignments.assign_reviewers(ctx.db, article_id, stage, review_round, ctx.policy)
    _mail(ctx)
    return chosen


def notify_transition(ctx: JobContext, event_id: int) -> int:
    """In-app (and e-mail) notice to the author about a decision on their article."""
    added = notifications.notify_for_event(ctx.db, event_id)
    _mail(ctx)
    return added


def check_deadlines(ctx: JobContext) -> dict[str, int]:
    """Reminders before due times, escalation to editors after them."""
    counts = assignments.check_deadlines(ctx.db, ctx.policy)
    _mail(ctx)
    return counts


def retrain_prescreener(ctx: JobContext) -> dict[str, Any]:
    """Retrain on expert verdicts plus the seed corpus; the new model replaces the active one
    only if it is not worse on a held-out split."""
    verdicts = [
        Record(text=v["text"], label=v["label"]) for v in prescreens.export_verdicts(ctx.db)
    ]
    if not verdicts:
        return {"accepted": False, "reason": "no expert verdicts yet"}
    path = ctx.model_path or str(default_model_path())
    try:
        decision = retrain_file(path, verdicts, base_records=load_records(SEED_CORPUS))
    except DataError as exc:  # too few verdicts: nothing to decide yet, not a failure
        return {"accepted": False, "reason": str(exc), "verdicts": len(verdicts)}
    if decision.accepted:
        forget_prescreener(path)
    log.info("retrain: %s", decision.reason)
    return decision.to_dict()


def refresh_feeds(ctx: JobContext) -> list[str]:
    """Re-render the public Atom and RSS feeds after a publication or retraction."""
    return feeds.refresh_feeds(ctx.db, ctx.public_url)


def _mail(ctx: JobContext) -> None:
    if ctx.smtp_url:
        send_pending_emails(ctx.db, ctx.smtp_url, ctx.mail_from)


BUILTIN: dict[str, Job] = {
    outbox.PRESCREEN_REVISION: prescreen_revision,
    outbox.ASSIGN_REVIEWERS: assign_reviewers,
    outbox.NOTIFY_TRANSITION: notify_transition,
    outbox.DELIVER_WEBHOOKS: fan_out_webhooks,
    outbox.DELIVER_WEBHOOK: deliver_webhook,
    outbox.CHECK_DEADLINES: check_deadlines,
    outbox.RETRAIN_PRESCREENER: retrain_prescreener,
    outbox.REFRESH_FEEDS: refresh_feeds,
}


def registry(ctx: JobContext) -> dict[str, Job]:
    """Built-in jobs plus those of plugin modules named in KEPU_JOB_PLUGINS (each has JOBS)."""
    jobs = dict(BUILTIN)
    for module in ctx.plugins:
        jobs.update(importlib.import_module(module).JOBS)
    return jobs
