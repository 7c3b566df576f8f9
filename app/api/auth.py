"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from flask import g, request

from app.errors import ApiError
from app.extensions import get_db
from review.services.people import Actor, authenticate_token


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "需要 API 令牌：Authorization: Bearer <令牌>")
    return token.strip()


def current_actor() -> Actor:
    """The authenticated caller; 401 when the token is missing, unknown or revoked."""
    actor = g.get("actor")
    if actor is None:
        actor = authenticate_token(get_db(), bearer_token())
        g.actor = actor
        g.actor_id = actor.id
    return actor
