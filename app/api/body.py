"""Strict JSON request bodies: clear 4xx for bad encoding, bad JSON, wrong shapes."""

from __future__ import annotations

import json
from typing import TypeVar

from flask import request
from pydantic import BaseModel

from app.errors import ApiError
from review.models import MAX_ID

M = TypeVar("M", bound=BaseModel)


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def json_object() -> dict:
    """The request body as a JSON object, or an ApiError (400/415)."""
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "请求体必须是 JSON（Content-Type: application/json）"
        )
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_encoding", "请求体不是有效的 UTF-8 编码") from None
    if not text.strip():
        raise ApiError(400, "malformed_json", "请求体为空，需要一个 JSON 对象")
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "malformed_json", f"JSON 格式错误：{str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", "请求体必须是一个 JSON 对象")
    if _has_nul(data):
        raise ApiError(400, "invalid_characters", "请求体中的文本不能包含 NUL（\\u0000）字符")
    return data


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def parse_body(model: type[M]) -> M:
    """Validate the JSON body against a request model (422 with field details on failure)."""
    return model.model_validate(json_object())


def int_arg(name: str, default: int) -> int:
    """An integer query parameter (ASCII digits, within 32 bits), or 400."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 11:
        raise ApiError(400, "bad_query", f"查询参数 {name} 必须是整数")
    value = int(raw)
    if not -MAX_ID <= value <= MAX_ID:
        raise ApiError(400, "bad_query", f"查询参数 {name} 超出范围")
    return value
