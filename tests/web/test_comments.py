"""Comments point at a passage of a revision; replies and resolution."""

from __future__ import annotations


def test_reviewer_comments_on_a_sentence_and_author_replies(client, make_user, make_article):
    author = make_user("writer")
    reviewer = make_user("science_reviewer")
    article_id = make_article(author=author, state="science_review")
    view = client.get(f"/api/v1/articles/{article_id}", headers=reviewer.auth).get_json()
    text = view["body_text"]
    sentence = "接种后可能出现轻微发热。"
    start = text.index(sentence)

    r = client.post(
        f"/api/v1/articles/{article_id}/comments",
        json={
            "revision": view["revision"]["id"],
            "start": start,
            "end": start + len(sentence),
            "text": "请说明发热的比例和持续时间",
        },
        headers=reviewer.auth,
    )
    assert r.status_code == 201, r.get_json()
    comment = r.get_json()
    assert comment["quote"] == sentence

    reply = client.post(
        f"/api/v1/articles/{article_id}/comments",
        json={"parent": comment["id"], "text": "已补充：多在 48 小时内消退"},
        headers=author.auth,
    ).get_json()
    assert reply["parent"] == comment["id"]
    assert reply["quote"] == sentence

    r = client.post(
        f"/api/v1/articles/{article_id}/comments/{comment['id']}/resolve", headers=author.auth
    )
    assert r.get_json()["resolved"] is True
    listed = client.get(f"/api/v1/articles/{article_id}/comments", headers=reviewer.auth).get_json()
    assert [c["id"] for c in listed["items"]] == [comment["id"], reply["id"]]
    assert listed["items"][0]["resolved"] is True


def test_comment_range_must_lie_inside_the_revision(client, make_user, make_article):
    reviewer = make_user("political_reviewer")
    article_id = make_article(state="political_review")
    view = client.get(f"/api/v1/articles/{article_id}", headers=reviewer.auth).get_json()
    length = len(view["body_text"])
    for start, end in ((0, length + 1), (5, 5), (5, 2)):
        r = client.post(
            f"/api/v1/articles/{article_id}/comments",
            json={"revision": view["revision"]["id"], "start": start, "end": end, "text": "x"},
            headers=reviewer.auth,
        )
        assert r.status_code == 422, (start, end)
    r = client.post(
        f"/api/v1/articles/{article_id}/comments",
        json={"revision": 99999, "text": "x"},
        headers=reviewer.auth,
    )
    assert r.status_code == 404
    listed = client.get(f"/api/v1/articles/{article_id}/comments", headers=reviewer.auth).get_json()
    assert listed["items"] == []


def test_other_writers_cannot_comment(client, make_user, make_article):
    article_id = make_article(state="published")
    stranger = make_user("writer")
    r = client.post(
        f"/api/v1/articles/{article_id}/comments",
        json={"revision": 1, "text": "我有意见"},
        headers=stranger.auth,
    )
    assert r.status_code == 403
