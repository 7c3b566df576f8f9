"""Access to per-app resources from request and CLI context."""

from __future__ import annotations

from flask import current_app

from review.db import Database


def get_db() -> Database:
    """The app's database handle."""
    return current_app.extensions["kepu.db"]
