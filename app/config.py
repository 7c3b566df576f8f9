"""Settings, read from environment variables in this one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"环境变量 {name} 必须是整数，当前为 {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"环境变量 {name} 必须是数字，当前为 {raw!r}") from None


@dataclass
class Config:
    """Service settings. Empty DATABASE_URL means the embedded SQLite file in the instance folder."""

    DATABASE_URL: str = field(default_factory=lambda: os.environ.get("KEPU_DATABASE_URL", ""))
    REDIS_URL: str = field(default_factory=lambda: os.environ.get("KEPU_REDIS_URL", ""))
    SECRET_KEY: str = field(
        default_factory=lambda: os.environ.get("KEPU_SECRET_KEY") or secrets.token_hex(32)
    )
    MAX_CONTENT_LENGTH: int = field(
        default_factory=lambda: _int("KEPU_MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    )
    SCIENCE_APPROVALS: int = field(default_factory=lambda: _int("KEPU_SCIENCE_APPROVALS", 1))
    HIGH_RISK_SCIENCE_APPROVALS: int = field(
        default_factory=lambda: _int("KEPU_HIGH_RISK_SCIENCE_APPROVALS", 2)
    )
    HIGH_RISK_THRESHOLD: float = field(
        default_factory=lambda: _float("KEPU_HIGH_RISK_THRESHOLD", 0.7)
    )
    POLITICAL_SLA_DAYS: int = field(default_factory=lambda: _int("KEPU_POLITICAL_SLA_DAYS", 2))
    SCIENCE_SLA_DAYS: int = field(default_factory=lambda: _int("KEPU_SCIENCE_SLA_DAYS", 5))
    FINAL_SLA_DAYS: int = field(default_factory=lambda: _int("KEPU_FINAL_SLA_DAYS", 2))
    REMIND_HOURS_BEFORE_DUE: int = field(
        default_factory=lambda: _int("KEPU_REMIND_HOURS_BEFORE_DUE", 24)
    )
    SMTP_URL: str = field(default_factory=lambda: os.environ.get("KEPU_SMTP_URL", ""))
    MAIL_FROM: str = field(
        default_factory=lambda: os.environ.get("KEPU_MAIL_FROM", "kepu-review@localhost")
    )
    QUEUES: str = field(default_factory=lambda: os.environ.get("KEPU_QUEUES", "kepu"))
    JOB_TIMEOUT: int = field(default_factory=lambda: _int("KEPU_JOB_TIMEOUT", 300))
    JOB_STALE_SECONDS: int = field(default_factory=lambda: _int("KEPU_JOB_STALE_SECONDS", 90))
    JOB_RETRY_INTERVALS: str = field(
        default_factory=lambda: os.environ.get("KEPU_JOB_RETRY_INTERVALS", "5,30,120")
    )
    JOB_PLUGINS: str = field(default_factory=lambda: os.environ.get("KEPU_JOB_PLUGINS", ""))
    PUBLIC_URL: str = field(
        default_factory=lambda: os.environ.get("KEPU_PUBLIC_URL", "http://127.0.0.1:5000")
    )
    LOGIN_RATE_LIMIT: str = field(
        default_factory=lambda: os.environ.get("KEPU_LOGIN_RATE_LIMIT", "10 per minute")
    )
    PRESCREEN_MODEL: str = field(default_factory=lambda: os.environ.get("KEPU_PRESCREEN_MODEL", ""))
    TESTING: bool = False

    def as_flask(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k.isupper()}


@dataclass
class TestConfig(Config):
    """Settings for tests: the database URL is always given by the test fixture."""

    __test__ = False  # not a pytest test class

    SECRET_KEY: str = "test-secret"
    TESTING: bool = True
