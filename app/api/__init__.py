"""JSON API under /api/v1: one blueprint per area, nested under `api`."""

from __future__ import annotations

from flask import Blueprint

from app.api import articles, comments, openapi, tokens

api = Blueprint("api", __name__, url_prefix="/api/v1")
for module in (articles, comments, tokens, openapi):
    api.register_blueprint(module.bp)
