"""Comments API: passage-anchored review comments, replies and resolution."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app.api.auth import current_actor
from app.api.body import int_arg, parse_body
from app.api.schemas import CommentCreate
from app.extensions import get_db
from review.services import comments

bp = Blueprint("comments", __name__)


@bp.post("/articles/<id:article_id>/comments")
def add_comment(article_id: int):  # type: ignore[no-untyped-def]
    """Comment on a passage.
    ---
    post:
      tags: [comments]
      summary: 对修订版本中的一段文字发表评论（或回复）
      security: [{bearer: []}]
      parameters: [{in: path, name: article_id, required: true, schema: {type: integer}}]
      requestBody:
        content: {application/json: {schema: CommentCreate}}
      responses:
        201: {content: {application/json: {schema: CommentOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    data = parse_body(CommentCreate)
    view = comments.add_comment(
        get_db(),
        actor,
        article_id,
        revision_id=data.revision,
        text=data.text,
        start=data.start,
        end=data.end,
        parent_id=data.parent,
    )
    return jsonify(view), 201


@bp.get("/articles/<id:article_id>/comments")
def list_comments(article_id: int):  # type: ignore[no-untyped-def]
    """List comments.
    ---
    get:
      tags: [comments]
      summary: 评论列表
      security: [{bearer: []}]
      parameters:
        - {in: path, name: article_id, required: true, schema: {type: integer}}
        - {in: query, name: revision, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: CommentList}}}
    """
    actor = current_actor()
    revision = int_arg("revision", 0) or None
    items = comments.list_comments(get_db(), actor, article_id, revision_id=revision)
    return jsonify({"items": items})


@bp.post("/articles/<id:article_id>/comments/<id:comment_id>/resolve")
def resolve(article_id: int, comment_id: int):  # type: ignore[no-untyped-def]
    """Resolve a comment.
    ---
    post:
      tags: [comments]
      summary: 标记评论为已解决
      security: [{bearer: []}]
      parameters:
        - {in: path, name: article_id, required: true, schema: {type: integer}}
        - {in: path, name: comment_id, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: CommentOut}}}
    """
    return jsonify(comments.resolve_comment(get_db(), current_actor(), article_id, comment_id))
