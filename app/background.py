"""Connects the web app to background work: the job context, and running or dispatching
outbox jobs right after a request that recorded some."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app, request
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from app.extensions import policy_from
from workflows import context, dispatcher, periodic, runner
from workflows.context import JobContext

if TYPE_CHECKING:
    from flask import Flask, Response

log = logging.getLogger(__name__)


def build_context(app: Flask) -> JobContext:
    """The job context from the app's configuration."""
    c = app.config
    model = c["PRESCREEN_MODEL"] or str(Path(app.instance_path) / "models" / "prescreen.joblib")
    return JobContext(
        db=app.extensions["kepu.db"],
        policy=policy_from(c),
        model_path=model,
        smtp_url=c["SMTP_URL"],
        mail_from=c["MAIL_FROM"],
        redis_url=c["REDIS_URL"],
        queue_name=c["QUEUES"].split(",")[0],
        job_timeout=c["JOB_TIMEOUT"],
        stale_after=c["JOB_STALE_SECONDS"],
        retry_intervals=tuple(int(x) for x in c["JOB_RETRY_INTERVALS"].split(",")),
        plugins=tuple(p for p in c["JOB_PLUGINS"].split(",") if p),
        public_url=c["PUBLIC_URL"],
    )


def queue_for(ctx: JobContext, *, timeout: float = 0.5) -> Queue:
    conn = Redis.from_url(ctx.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout * 4)
    return Queue(ctx.queue_name, connection=conn)


def init_app(app: Flask) -> None:
    ctx = build_context(app)
    app.extensions["kepu.jobs"] = ctx

    @app.after_request
    def _kick(response: Response) -> Response:
        if request.method in ("POST", "PUT", "DELETE") and response.status_code < 400:
            _run_or_dispatch(app)
        return response


def _run_or_dispatch(app: Flask) -> None:
    """After a successful change (its transaction is committed), before the response is sent:
    in the embedded mode run the jobs it recorded (and the periodic deadline check) in this
    request, so the response already shows their results; with Redis only hand them to RQ
    (the dispatcher loop catches up if Redis is down). Never fails the request."""
    ctx: JobContext = app.extensions["kepu.jobs"]
    context.configure(ctx)
    try:
        if ctx.redis_url:
            queue = app.extensions.get("kepu.queue")
            if queue is None:  # one client (and its connection pool) per app
                queue = app.extensions["kepu.queue"] = queue_for(ctx)
            dispatcher.dispatch(ctx, queue)
        else:
            periodic.schedule_periodic(ctx)
            runner.run_inline(ctx)
    except RedisError as exc:
        log.warning("could not reach Redis, jobs stay in the outbox: %s", exc)
    except Exception:
        log.exception("background kick failed; jobs stay in the outbox")


def job_context() -> JobContext:
    return current_app.extensions["kepu.jobs"]
