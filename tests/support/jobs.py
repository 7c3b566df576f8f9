"""Probe jobs for worker tests, loaded by workers through KEPU_JOB_PLUGINS=tests.support.jobs.

Each appends a line to a log file for every execution (not idempotent: it shows how often a
job really ran) and records its effect as an idempotent notification keyed by `key`."""

from __future__ import annotations

import os
import time
from pathlib import Path

from review.services.notifications import notify
from workflows.errors import PermanentJobError, TransientJobError


def _log(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{line} pid={os.getpid()}\n")


def _effect(ctx, user_id: int, key: str) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.write() as s:
        notify(s, user_id, "probe", None, f"probe {key}", key=key)


def probe_sleep(ctx, user_id: int, key: str, seconds: float, log: str) -> None:  # type: ignore[no-untyped-def]
    _log(log, f"start {key}")
    time.sleep(seconds)
    _effect(ctx, user_id, key)
    _log(log, f"done {key}")


def probe_flaky(ctx, user_id: int, key: str, failures: int, log: str) -> None:  # type: ignore[no-untyped-def]
    runs = Path(log).read_text().count(f"start {key}") if Path(log).exists() else 0
    _log(log, f"start {key}")
    if runs < failures:
        raise TransientJobError(f"probe failure {runs + 1} of {failures}")
    _effect(ctx, user_id, key)


def probe_needs_file(ctx, user_id: int, key: str, path: str, log: str) -> None:  # type: ignore[no-untyped-def]
    _log(log, f"start {key}")
    if not Path(path).exists():
        raise PermanentJobError(f"{path} does not exist")
    _effect(ctx, user_id, key)


JOBS = {
    "probe_sleep": probe_sleep,
    "probe_flaky": probe_flaky,
    "probe_needs_file": probe_needs_file,
}
