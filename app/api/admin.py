"""Admin API: background jobs (list, failed, requeue) and partner webhooks."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.api.auth import current_actor
from app.api.body import int_arg, parse_body
from app.api.schemas import WebhookCreate
from app.errors import ApiError
from app.extensions import get_db
from review.services import jobs, webhooks
from review.states import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _require_staff() -> None:
    actor = current_actor()
    if not (actor.has(Role.ADMIN) or actor.has(Role.EDITOR)):
        raise ApiError(403, "forbidden", "只有管理员或编辑可以查看后台任务")


@bp.get("/jobs")
def list_jobs():  # type: ignore[no-untyped-def]
    """List background jobs.
    ---
    get:
      tags: [admin]
      summary: 后台任务列表（可按状态筛选，如 failed）
      security: [{bearer: []}]
      parameters:
        - {in: query, name: status, schema: {type: string, enum: [pending, dispatched, running, done, failed]}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 500, default: 100}}
      responses:
        200: {description: 任务列表}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    _require_staff()
    limit = int_arg("limit", 100)
    if not 1 <= limit <= 500:
        raise ApiError(422, "invalid_input", "limit 须在 1 到 500 之间")
    items = jobs.list_jobs(get_db(), status=request.args.get("status") or None, limit=limit)
    return jsonify({"items": items})


@bp.post("/jobs/<id:job_id>/requeue")
def requeue(job_id: int):  # type: ignore[no-untyped-def]
    """Requeue a failed job.
    ---
    post:
      tags: [admin]
      summary: 失败任务重新排队
      security: [{bearer: []}]
      parameters: [{in: path, name: job_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: 已重新排队}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    _require_staff()
    return jsonify(jobs.requeue(get_db(), job_id))


@bp.post("/webhooks")
def create_webhook():  # type: ignore[no-untyped-def]
    """Register a partner webhook.
    ---
    post:
      tags: [admin]
      summary: 登记合作平台 Webhook（返回签名密钥，仅显示一次）
      security: [{bearer: []}]
      requestBody:
        content: {application/json: {schema: WebhookCreate}}
      responses:
        201: {description: 已登记}
        403: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    data = parse_body(WebhookCreate)
    return jsonify(
        webhooks.create_subscription(get_db(), actor, url=data.url, events=data.events)
    ), 201


@bp.post("/prescreen/retrain")
def retrain():  # type: ignore[no-untyped-def]
    """Retrain the pre-screener from expert verdicts (a background job).
    ---
    post:
      tags: [admin]
      summary: 用专家结论重新训练预审模型（后台任务；新模型不差于当前模型才替换）
      security: [{bearer: []}]
      responses:
        202: {description: 已排队}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    if not actor.has(Role.ADMIN):
        raise ApiError(403, "forbidden", "只有管理员可以重新训练预审模型")
    return jsonify(jobs.enqueue_retrain(get_db())), 202
