"""Published pieces appear in the Atom and RSS feeds (read back with feedparser)."""

from __future__ import annotations

import feedparser


def test_publish_and_retract_refresh_the_feeds(client, make_user, make_article):
    empty = feedparser.parse(client.get("/feeds/articles.atom").data)
    assert empty.bozo == 0 and empty.entries == []

    first = make_article(state="published", title="冬季如何预防流感")
    second = make_article(state="published", title="转基因食品安全吗")
    make_article(state="final_review", title="尚未发布的文章")

    atom = client.get("/feeds/articles.atom")
    assert atom.mimetype == "application/atom+xml"
    parsed = feedparser.parse(atom.data)
    assert parsed.bozo == 0, parsed.bozo_exception
    assert parsed.feed.language == "zh-CN"
    titles = [e.title for e in parsed.entries]
    assert titles == ["转基因食品安全吗", "冬季如何预防流感"]  # newest first
    entry = parsed.entries[1]
    assert entry.link.endswith(f"/articles/{first}")
    assert "疫苗经过严格的临床试验" in entry.content[0].value
    assert [t.term for t in entry.tags] == ["疫苗"]

    rss = feedparser.parse(client.get("/feeds/articles.rss").data)
    assert rss.bozo == 0 and len(rss.entries) == 2

    editor = make_user("editor")
    view = client.get(f"/api/v1/articles/{second}", headers=editor.auth).get_json()
    r = client.post(
        f"/api/v1/articles/{second}/actions/retract",
        headers=editor.auth,
        json={"version": view["version"], "reason_code": "factual_error", "reason": "数据有误"},
    )
    assert r.status_code == 200
    parsed = feedparser.parse(client.get("/feeds/articles.atom").data)
    assert [e.title for e in parsed.entries] == ["冬季如何预防流感"]


def test_unknown_feed_is_404(client):
    assert client.get("/feeds/articles.json").status_code == 404
