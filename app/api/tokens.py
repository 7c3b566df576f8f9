"""Login (password -> API token) and logout."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from app.api.auth import bearer_token, current_actor
from app.api.body import parse_body
from app.api.schemas import LoginRequest
from app.extensions import get_db, limiter
from review.services import people

bp = Blueprint("tokens", __name__)


@bp.post("/tokens")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def login():  # type: ignore[no-untyped-def]
    """Exchange email and password for an API token.
    ---
    post:
      tags: [auth]
      summary: 用邮箱和密码换取 API 令牌
      requestBody:
        content: {application/json: {schema: LoginRequest}}
      responses:
        201: {content: {application/json: {schema: TokenOut}}}
        401: {content: {application/json: {schema: ErrorOut}}}
        429: {description: 登录尝试过于频繁, content: {application/json: {schema: ErrorOut}}}
    """
    data = parse_body(LoginRequest)
    return jsonify({"token": people.login(get_db(), email=data.email, password=data.password)}), 201


@bp.delete("/tokens/current")
def logout():  # type: ignore[no-untyped-def]
    """Revoke the token used for this request.
    ---
    delete:
      tags: [auth]
      summary: 吊销当前令牌
      security: [{bearer: []}]
      responses:
        204: {description: 已吊销}
    """
    current_actor()
    people.revoke_token(get_db(), bearer_token())
    return "", 204


@bp.get("/me")
def me():  # type: ignore[no-untyped-def]
    """The caller.
    ---
    get:
      tags: [auth]
      summary: 当前用户
      security: [{bearer: []}]
      responses:
        200: {description: 当前用户}
    """
    actor = current_actor()
    return jsonify(
        {
            "id": actor.id,
            "name": actor.name,
            "email": actor.email,
            "roles": sorted(actor.roles),
            "expertise": sorted(actor.expertise),
        }
    )
