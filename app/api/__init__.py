"""JSON API under /api/v1: one blueprint per area, nested under `api`."""

from __future__ import annotations

from flask import Blueprint

from app.api import admin, articles, comments, notifications, openapi, tokens

api = Blueprint("api", __name__, url_prefix="/api/v1")
for module in (articles, comments, notifications, tokens, admin, openapi):
    api.register_blueprint(module.bp)
