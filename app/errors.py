"""Turns domain errors and HTTP errors into one JSON error shape; never shows a traceback."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import g, jsonify, render_template, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from review import exceptions as domain

if TYPE_CHECKING:
    from flask import Flask, Response

log = logging.getLogger(__name__)

STATUS: dict[type[domain.DomainError], int] = {
    domain.NotFound: 404,
    domain.NotAllowed: 403,
    domain.InvalidTransition: 409,
    domain.StaleVersion: 409,
    domain.Conflict: 409,
    domain.InvalidInput: 422,
    domain.AuthenticationFailed: 401,
}

HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式错误"),
    401: ("unauthorized", "需要登录（Authorization: Bearer <令牌>）"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "请求与当前状态冲突"),
    413: ("payload_too_large", "请求体过大"),
    415: ("unsupported_media_type", "请求体必须是 JSON（Content-Type: application/json）"),
    422: ("invalid_input", "请求内容无效"),
    429: ("too_many_requests", "请求过于频繁"),
    500: ("internal_error", "服务器内部错误，请稍后重试"),
}


class ApiError(Exception):
    """An HTTP error raised by the web layer itself (bad body, bad token ...)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    if status in (403, 409):
        log.warning(
            "refused %s %s user=%s status=%s code=%s: %s",
            request.method,
            request.path,
            getattr(g, "actor_id", None),
            status,
            code,
            message,
        )
    if not _wants_json():
        html = render_template("error.html", status=status, message=message)
        return html, status  # type: ignore[return-value]
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kepu"'
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(domain.DomainError)
    def _domain(exc: domain.DomainError):  # type: ignore[no-untyped-def]
        status = next((v for k, v in STATUS.items() if isinstance(exc, k)), 400)
        return error_response(status, exc.code, exc.message, exc.details)

    @app.errorhandler(ApiError)
    def _api(exc: ApiError):  # type: ignore[no-untyped-def]
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):  # type: ignore[no-untyped-def]
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        fields = "、".join(d["field"] or "(请求体)" for d in details)
        return error_response(422, "invalid_input", f"字段无效：{fields}", details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        code, message = HTTP_MESSAGES.get(status, ("http_error", exc.name))
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"请求体过大（上限 {limit} 字节）"
        response = error_response(status, code, message)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]  # type: ignore[union-attr]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        code, message = HTTP_MESSAGES[500]
        return error_response(500, code, message)
