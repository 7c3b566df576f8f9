"""Public feeds (Atom and RSS) of published pieces, for readers and partner platforms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from feedgen.feed import FeedGenerator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from review.models import Article, FeedCache, utcnow
from review.states import State

if TYPE_CHECKING:
    from review.db import Database

FEED_SIZE = 50
FEEDS = ("atom", "rss")
TITLE = "科普审核与辟谣平台 · 已发布"


def render_feeds(db: Database, base_url: str) -> dict[str, str]:
    """Atom and RSS documents of the newest published articles and rebuttals."""
    base = base_url.rstrip("/")
    with db.read() as s:
        rows = s.scalars(
            select(Article)
            .options(joinedload(Article.current_revision), joinedload(Article.society))
            .where(Article.state == State.PUBLISHED)
            .order_by(Article.published_at.desc(), Article.id.desc())
            .limit(FEED_SIZE)
        ).all()
    fg = FeedGenerator()
    fg.id(f"{base}/")
    fg.title(TITLE)
    fg.subtitle("经政治性、科学性审核后发布的科普文章与辟谣")
    fg.link(href=f"{base}/", rel="alternate")
    fg.link(href=f"{base}/feeds/articles.atom", rel="self")
    fg.language("zh-CN")
    fg.updated(rows[0].published_at if rows else utcnow())
    for article in reversed(rows):  # feedgen prepends: add oldest first
        revision = article.current_revision
        link = f"{base}/articles/{article.id}"
        entry = fg.add_entry()
        entry.id(link)
        entry.title(revision.title if revision else article.title)
        entry.link(href=link)
        entry.published(article.published_at)
        entry.updated(article.published_at)
        if article.society:
            entry.author(name=article.society.name)
        for topic in article.topics:
            entry.category(term=topic)
        if revision is not None:
            entry.summary(revision.body_text[:200])
            entry.content(revision.body_html, type="html")
    return {
        "atom": fg.atom_str(pretty=True).decode("utf-8"),
        "rss": fg.rss_str(pretty=True).decode("utf-8"),
    }


def refresh_feeds(db: Database, base_url: str) -> list[str]:
    """Render the feeds and store them for the public site to serve."""
    rendered = render_feeds(db, base_url)
    for attempt in range(2):
        try:
            with db.write() as s:
                for name, content in rendered.items():
                    row = s.get(FeedCache, name)
                    if row is None:
                        s.add(FeedCache(name=name, content=content))
                    else:
                        row.content, row.updated_at = content, utcnow()
            break
        except IntegrityError:  # a concurrent refresh created the row first: update it
            if attempt:
                raise
    return sorted(rendered)


def cached_feed(db: Database, name: str) -> str | None:
    """A stored feed document, if the refresh job has produced one."""
    with db.read() as s:
        row = s.get(FeedCache, name)
        return row.content if row else None
