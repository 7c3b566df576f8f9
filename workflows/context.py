"""What a job needs to run: database, review policy, pre-screener, mail settings."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.prescreen import Prescreener, load_default
from review.db import Database
from review.policy import ReviewPolicy

log = logging.getLogger(__name__)

RETRY_INTERVALS = (5, 30, 120)  # seconds between attempts of a failing job


@dataclass
class JobContext:
    db: Database
    policy: ReviewPolicy = field(default_factory=ReviewPolicy)
    model_path: str = ""
    smtp_url: str = ""
    mail_from: str = "kepu-review@localhost"
    redis_url: str = ""
    queue_name: str = "kepu"
    job_timeout: int = 300
    stale_after: int = 90  # seconds without a heartbeat before a started job counts as lost
    retry_intervals: tuple[int, ...] = RETRY_INTERVALS
    plugins: tuple[str, ...] = ()
    public_url: str = "http://127.0.0.1:5000"

    @property
    def job_prefix(self) -> str:
        """Prefix of RQ job ids: the queue plus a digest of the database URL."""
        digest = hashlib.sha1(self.db.url.encode(), usedforsecurity=False).hexdigest()[:8]
        return f"{self.queue_name}-{digest}"

    @property
    def max_attempts(self) -> int:
        return len(self.retry_intervals) + 1

    def prescreener(self) -> Prescreener:
        """The pre-screener, loaded once per process and model file."""
        return _load_prescreener(self.model_path)


_models: dict[str, Prescreener] = {}
_models_lock = threading.Lock()


def _load_prescreener(model_path: str) -> Prescreener:
    with _models_lock:
        if model_path not in _models:
            screener = load_default(Path(model_path) if model_path else None)
            screener.screen("预热：初始化分词词典。")  # jieba loads lazily: do it now, once
            _models[model_path] = screener
        return _models[model_path]


def forget_prescreener(model_path: str) -> None:
    """Drop a cached model so the next job loads the file again (after a retrain)."""
    with _models_lock:
        _models.pop(model_path, None)


_current: JobContext | None = None


def configure(ctx: JobContext) -> None:
    """Set the process's job context (done once by the web app or the worker at start)."""
    global _current
    _current = ctx


def current() -> JobContext:
    """The process's job context; `kepu worker` and the web app configure it at start."""
    if _current is None:
        raise RuntimeError("job context not configured: start workers with `kepu worker`")
    return _current
