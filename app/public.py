"""The public site: published articles for readers (zh-CN HTML)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import get_db
from review import feeds
from review.models import Article
from review.states import State

public = Blueprint("public", __name__)


@public.get("/")
def index():  # type: ignore[no-untyped-def]
    with get_db().read() as s:
        items = s.scalars(
            select(Article)
            .options(joinedload(Article.society), joinedload(Article.author))
            .where(Article.state == State.PUBLISHED)
            .order_by(Article.published_at.desc())
            .limit(50)
        ).all()
        return render_template("index.html", articles=items)


@public.get("/articles/<id:article_id>")
def article(article_id: int):  # type: ignore[no-untyped-def]
    with get_db().read() as s:
        item = s.scalar(
            select(Article)
            .options(joinedload(Article.current_revision), joinedload(Article.society))
            .where(Article.id == article_id, Article.state == State.PUBLISHED)
        )
        if item is None:
            abort(404)
        return render_template("article.html", article=item, revision=item.current_revision)


@public.get("/feeds/articles.<any(atom, rss):kind>")
def feed(kind: str):  # type: ignore[no-untyped-def]
    """Atom or RSS feed of published pieces (kept fresh by the refresh_feeds job)."""
    db = get_db()
    content = feeds.cached_feed(db, kind)
    if content is None:  # nothing published yet, or the job has not run: render now
        content = feeds.render_feeds(db, current_app.config["PUBLIC_URL"])[kind]
    mimetype = "application/atom+xml" if kind == "atom" else "application/rss+xml"
    return Response(content, mimetype=mimetype, headers={"Cache-Control": "public, max-age=60"})


@public.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    with get_db().read() as s:
        s.scalar(select(1))
    return {"status": "ok"}
