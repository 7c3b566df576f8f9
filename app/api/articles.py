"""Articles API: create, edit, act on, read and list articles; the review queue."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from app.api.auth import current_actor
from app.api.body import int_arg, parse_body
from app.api.schemas import ActionRequest, ArticleCreate, ArticleEdit, AssignmentCreate
from app.extensions import get_db, get_policy
from review.services import articles, assignments, queries

bp = Blueprint("articles", __name__)


@bp.post("/articles")
def create_article():  # type: ignore[no-untyped-def]
    """Create a draft.
    ---
    post:
      tags: [articles]
      summary: 作者创建草稿
      security: [{bearer: []}]
      requestBody:
        content: {application/json: {schema: ArticleCreate}}
      responses:
        201: {content: {application/json: {schema: ArticleOut}}}
        401: {content: {application/json: {schema: ErrorOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    data = parse_body(ArticleCreate)
    db = get_db()
    article_id = articles.create_article(
        db,
        actor,
        title=data.title,
        body_html=data.body_html,
        topics=data.topics,
        audiences=list(data.audiences),
    )
    response = jsonify(queries.get_article(db, actor, article_id, get_policy()))
    response.status_code = 201
    response.headers["Location"] = url_for(".get_article", article_id=article_id)
    return response


@bp.put("/articles/<id:article_id>")
def edit_article(article_id: int):  # type: ignore[no-untyped-def]
    """Edit a draft or an article sent back for changes.
    ---
    put:
      tags: [articles]
      summary: 修改草稿或退回修改的文章（生成新修订版本）
      security: [{bearer: []}]
      parameters: [{in: path, name: article_id, required: true, schema: {type: integer}}]
      requestBody:
        content: {application/json: {schema: ArticleEdit}}
      responses:
        200: {content: {application/json: {schema: ArticleOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    data = parse_body(ArticleEdit)
    db = get_db()
    articles.edit_article(
        db,
        actor,
        article_id,
        version=data.version,
        title=data.title,
        body_html=data.body_html,
        topics=data.topics,
        audiences=list(data.audiences) if data.audiences is not None else None,
    )
    return jsonify(queries.get_article(db, actor, article_id, get_policy()))


@bp.post("/articles/<id:article_id>/actions/<action>")
def act(article_id: int, action: str):  # type: ignore[no-untyped-def]
    """Apply a review action.
    ---
    post:
      tags: [articles]
      summary: 执行审核流程操作（submit, approve, request_changes, reject, publish, withdraw, retract）
      security: [{bearer: []}]
      parameters:
        - {in: path, name: article_id, required: true, schema: {type: integer}}
        - {in: path, name: action, required: true, schema: {type: string, enum: [submit, approve, request_changes, reject, publish, withdraw, retract]}}
      requestBody:
        content: {application/json: {schema: ActionRequest}}
      responses:
        200: {content: {application/json: {schema: ArticleOut}}}
        403: {description: 角色或职责分离规则不允许, content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {description: 当前状态不允许或版本已过期, content: {application/json: {schema: ErrorOut}}}
        422: {description: 缺少或未知的原因, content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    data = parse_body(ActionRequest)
    db = get_db()
    articles.perform(
        db,
        actor,
        article_id,
        action,
        version=data.version,
        reason_code=data.reason_code,
        reason=data.reason,
        policy=get_policy(),
    )
    return jsonify(queries.get_article(db, actor, article_id, get_policy()))


@bp.get("/articles/<id:article_id>")
def get_article(article_id: int):  # type: ignore[no-untyped-def]
    """Read one article with its history.
    ---
    get:
      tags: [articles]
      summary: 文章详情（含当前修订版本与审核历史）
      security: [{bearer: []}]
      parameters: [{in: path, name: article_id, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: ArticleOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(queries.get_article(get_db(), current_actor(), article_id, get_policy()))


@bp.get("/articles")
def list_articles():  # type: ignore[no-untyped-def]
    """List articles.
    ---
    get:
      tags: [articles]
      summary: 文章列表（分页，可按状态筛选）
      security: [{bearer: []}]
      parameters:
        - {in: query, name: state, schema: {type: string}}
        - {in: query, name: page, schema: {type: integer, minimum: 1, default: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
      responses:
        200: {content: {application/json: {schema: ArticlePage}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    return jsonify(
        queries.list_articles(
            get_db(),
            actor,
            state=request.args.get("state") or None,
            page=int_arg("page", 1),
            per_page=int_arg("per_page", 20),
        )
    )


@bp.get("/review-queue")
def review_queue():  # type: ignore[no-untyped-def]
    """What awaits the caller.
    ---
    get:
      tags: [articles]
      summary: 待我审核的文章
      security: [{bearer: []}]
      responses:
        200: {content: {application/json: {schema: ReviewQueue}}}
    """
    return jsonify(queries.review_queue(get_db(), current_actor()))


@bp.get("/articles/<id:article_id>/revisions")
def revisions(article_id: int):  # type: ignore[no-untyped-def]
    """List revisions.
    ---
    get:
      tags: [articles]
      summary: 修订版本列表
      security: [{bearer: []}]
      parameters: [{in: path, name: article_id, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: RevisionList}}}
    """
    return jsonify({"items": queries.revision_list(get_db(), current_actor(), article_id)})


@bp.get("/articles/<id:article_id>/diff")
def diff(article_id: int):  # type: ignore[no-untyped-def]
    """Text diff between two revisions.
    ---
    get:
      tags: [articles]
      summary: 两个修订版本之间的文本差异
      security: [{bearer: []}]
      parameters:
        - {in: path, name: article_id, required: true, schema: {type: integer}}
        - {in: query, name: from, required: true, schema: {type: integer}}
        - {in: query, name: to, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: DiffOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    return jsonify(
        queries.revision_diff(get_db(), actor, article_id, int_arg("from", 1), int_arg("to", 1))
    )


@bp.post("/articles/<id:article_id>/assignments")
def reassign(article_id: int):  # type: ignore[no-untyped-def]
    """Hand the current review stage to another reviewer.
    ---
    post:
      tags: [articles]
      summary: 编辑改派当前审核环节的审核人（如逾期）
      security: [{bearer: []}]
      parameters: [{in: path, name: article_id, required: true, schema: {type: integer}}]
      requestBody:
        content: {application/json: {schema: AssignmentCreate}}
      responses:
        201: {description: 已改派}
        403: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    data = parse_body(AssignmentCreate)
    result = assignments.reassign(
        get_db(), actor, article_id, reviewer_id=data.reviewer_id, policy=get_policy()
    )
    return jsonify(result), 201
