"""Access to per-app resources from request and CLI context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from review.db import Database
from review.policy import ReviewPolicy

# Rate limits (Flask-Limiter): storage is Redis when configured, else this process's memory.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def get_db() -> Database:
    """The app's database handle."""
    return current_app.extensions["kepu.db"]


def policy_from(config: Mapping[str, Any]) -> ReviewPolicy:
    """Review rules from a Flask config mapping."""
    return ReviewPolicy(
        science_approvals=config["SCIENCE_APPROVALS"],
        high_risk_science_approvals=config["HIGH_RISK_SCIENCE_APPROVALS"],
        high_risk_threshold=config["HIGH_RISK_THRESHOLD"],
        political_sla_days=config["POLITICAL_SLA_DAYS"],
        science_sla_days=config["SCIENCE_SLA_DAYS"],
        final_sla_days=config["FINAL_SLA_DAYS"],
        remind_hours_before_due=config["REMIND_HOURS_BEFORE_DUE"],
    )


def get_policy() -> ReviewPolicy:
    """Review rules from the current app's configuration."""
    return policy_from(current_app.config)
