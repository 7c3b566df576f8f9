"""The public site: published articles for readers (zh-CN HTML) and their feeds."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from app.extensions import get_db
from review import feeds
from review.services import queries

public = Blueprint("public", __name__)


@public.get("/")
def index():  # type: ignore[no-untyped-def]
    return render_template("index.html", articles=queries.published_list(get_db()))


@public.get("/articles/<id:article_id>")
def article(article_id: int):  # type: ignore[no-untyped-def]
    return render_template("article.html", article=queries.published_article(get_db(), article_id))


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
    """Liveness: the database answers."""
    queries.published_list(get_db(), limit=1)
    return {"status": "ok"}
