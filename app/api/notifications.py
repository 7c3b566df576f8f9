"""Notifications API: the caller's in-app notifications."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.api.auth import current_actor
from app.extensions import get_db
from review.services import notifications

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
def list_notifications():  # type: ignore[no-untyped-def]
    """My notifications.
    ---
    get:
      tags: [notifications]
      summary: 我的通知（最新 50 条）与未读数
      security: [{bearer: []}]
      parameters: [{in: query, name: unread, schema: {type: boolean}}]
      responses:
        200: {description: 通知列表}
    """
    unread = request.args.get("unread", "").lower() in ("1", "true", "yes")
    return jsonify(notifications.list_notifications(get_db(), current_actor(), unread_only=unread))


@bp.post("/notifications/<id:notification_id>/read")
def mark_read(notification_id: int):  # type: ignore[no-untyped-def]
    """Mark read.
    ---
    post:
      tags: [notifications]
      summary: 标记通知为已读
      security: [{bearer: []}]
      parameters: [{in: path, name: notification_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: 已读}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(notifications.mark_read(get_db(), current_actor(), notification_id))
