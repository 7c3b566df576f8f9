"""List endpoints and the article view run a bounded number of SQL queries."""

from __future__ import annotations

from review.services import articles


def _walk_many_times(db, make_user, article_id, author, rounds):  # type: ignore[no-untyped-def]
    political = make_user("political_reviewer")
    version = 1
    for _ in range(rounds):
        articles.perform(db, author.actor, article_id, "submit", version=version)
        articles.perform(
            db,
            political.actor,
            article_id,
            "request_changes",
            version=version + 1,
            reason_code="wording",
            reason="请修改措辞",
        )
        version += 2
    return version


def test_article_view_query_count_does_not_grow_with_history(
    client, db, make_user, make_article, count_queries
):
    author = make_user("writer")
    reader = make_user("editor")
    short = make_article(author=author)
    long = make_article(author=author)
    _walk_many_times(db, make_user, short, author, 1)
    _walk_many_times(db, make_user, long, author, 15)

    counts = []
    for article_id in (short, long):
        with count_queries() as statements:
            r = client.get(f"/api/v1/articles/{article_id}", headers=reader.auth)
        assert r.status_code == 200
        counts.append(len(statements))
    assert (
        len(client.get(f"/api/v1/articles/{long}", headers=reader.auth).get_json()["history"]) == 30
    )
    assert counts[0] == counts[1]
    # token, article, assignments, history, prescreen, prescreen job status
    assert counts[1] <= 6


def test_list_query_count_does_not_grow_with_page_size(
    client, make_user, make_article, count_queries
):
    reader = make_user("editor")
    authors = [make_user("writer") for _ in range(3)]
    for i in range(30):
        make_article(author=authors[i % 3], state="political_review" if i % 2 else "draft")
    counts = {}
    for per_page in (1, 30):
        with count_queries() as statements:
            r = client.get(f"/api/v1/articles?per_page={per_page}", headers=reader.auth)
        assert len(r.get_json()["items"]) == per_page
        counts[per_page] = len(statements)
    assert counts[1] == counts[30] <= 3  # token, count, page

    for who in (reader, make_user("political_reviewer")):
        with count_queries() as statements:
            r = client.get("/api/v1/review-queue", headers=who.auth)
        assert r.status_code == 200
        assert len(statements) <= 5  # token, page, count, prescreens, my assignments
