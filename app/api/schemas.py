"""Request and response models of the JSON API; the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from review.models import AUDIENCES, MAX_ID
from review.states import ReasonCode, State

Audience = Literal[AUDIENCES]  # type: ignore[valid-type]
MAX_HTML = 300_000  # characters; sanitizing is slow on huge inputs


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Field(ge=0, le=MAX_ID)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ArticleCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    body_html: str = Field(max_length=MAX_HTML)
    topics: list[str] = Field(default_factory=list, max_length=10)
    audiences: list[Audience] = Field(default_factory=list)


class ArticleEdit(Strict):
    version: Id
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body_html: str | None = Field(default=None, max_length=MAX_HTML)
    topics: list[str] | None = Field(default=None, max_length=10)
    audiences: list[Audience] | None = None


class ActionRequest(Strict):
    version: Id
    reason_code: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=5000)


class CommentCreate(Strict):
    revision: Id | None = None
    start: Offset | None = None
    end: Offset | None = None
    text: str = Field(min_length=1, max_length=5000)
    parent: Id | None = None


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class AssignmentCreate(Strict):
    reviewer_id: Id


class WebhookCreate(Strict):
    url: str = Field(min_length=8, max_length=500)
    events: list[Literal["article.published", "article.retracted"]] | None = None


class TokenOut(BaseModel):
    token: str


class UserRef(BaseModel):
    id: int
    name: str


class AuditEventOut(BaseModel):
    id: int
    action: str
    from_: State | None = Field(alias="from")
    to: State
    actor: UserRef
    reason_code: ReasonCode | None
    reason: str | None
    revision: int | None
    review_round: int
    at: str


class RevisionRef(BaseModel):
    id: int
    number: int
    content_hash: str
    created_at: str


class Approvals(BaseModel):
    required: int
    received: int


class ArticleSummary(BaseModel):
    id: int
    kind: Literal["article", "rebuttal"]
    state: State
    version: int
    title: str
    topics: list[str]
    audiences: list[str]
    author: UserRef
    society: str | None
    updated_at: str
    published_at: str | None


class ArticleOut(ArticleSummary):
    body_html: str
    body_text: str
    revision: RevisionRef | None
    review_round: int
    science_approvals: Approvals | None
    allowed_actions: list[str]
    created_at: str
    history: list[AuditEventOut]
    prescreen: dict | None = None


class ArticlePage(BaseModel):
    items: list[ArticleSummary]
    page: int
    per_page: int
    total: int


class ReviewQueue(BaseModel):
    items: list[ArticleSummary]
    total: int


class CommentOut(BaseModel):
    id: int
    revision: int
    parent: int | None
    start: int | None
    end: int | None
    quote: str
    text: str
    author: UserRef
    created_at: str
    resolved: bool
    resolved_at: str | None


class CommentList(BaseModel):
    items: list[CommentOut]


class RevisionOut(BaseModel):
    id: int
    number: int
    title: str
    content_hash: str
    created_at: str


class RevisionList(BaseModel):
    items: list[RevisionOut]


class DiffOut(BaseModel):
    from_: int = Field(alias="from")
    to: int
    diff: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: object | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


MODELS: tuple[type[BaseModel], ...] = (
    ArticleCreate,
    ArticleEdit,
    ActionRequest,
    CommentCreate,
    LoginRequest,
    TokenOut,
    ArticleOut,
    ArticlePage,
    ReviewQueue,
    CommentOut,
    CommentList,
    RevisionList,
    DiffOut,
    ErrorOut,
)
