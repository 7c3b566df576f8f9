"""An article walks from draft to published through the HTTP API, and every refusal."""

from __future__ import annotations

import pytest

BODY = {
    "title": "食品添加剂都是有害的吗？",
    "body_html": "<h2>什么是食品添加剂</h2><p>食品添加剂是为改善食品品质而加入的物质。</p>"
    "<p>按国家标准规定的范围和用量使用是安全的。</p>",
    "topics": ["食品安全"],
    "audiences": ["公众", "学校"],
}


def post(client, path, person, payload=None):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1{path}", json=payload or {}, headers=person.auth)


def act(client, article, action, person, **payload):  # type: ignore[no-untyped-def]
    payload.setdefault("version", article["version"])
    return post(client, f"/articles/{article['id']}/actions/{action}", person, payload)


@pytest.fixture
def team(make_user):  # type: ignore[no-untyped-def]
    return {
        "writer": make_user("writer"),
        "political": make_user("political_reviewer"),
        "expert": make_user("science_reviewer"),
        "editor": make_user("editor"),
    }


@pytest.fixture
def submitted(client, team):  # type: ignore[no-untyped-def]
    article = post(client, "/articles", team["writer"], BODY).get_json()
    r = act(client, article, "submit", team["writer"])
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_article_goes_from_draft_to_published_with_four_people(client, team):
    r = post(client, "/articles", team["writer"], BODY)
    assert r.status_code == 201
    article = r.get_json()
    assert article["state"] == "draft"
    assert article["version"] == 1
    assert article["revision"]["number"] == 1
    assert r.headers["Location"].endswith(f"/api/v1/articles/{article['id']}")

    steps = [
        ("submit", "writer", "political_review"),
        ("approve", "political", "science_review"),
        ("approve", "expert", "final_review"),
        ("publish", "editor", "published"),
    ]
    for action, who, expected in steps:
        r = act(client, article, action, team[who])
        assert r.status_code == 200, r.get_json()
        article = r.get_json()
        assert article["state"] == expected

    r = client.get(f"/api/v1/articles/{article['id']}", headers=team["writer"].auth)
    view = r.get_json()
    assert view["state"] == "published"
    assert view["published_at"] is not None
    history = view["history"]
    assert [(e["action"], e["from"], e["to"]) for e in history] == [
        ("submit", "draft", "political_review"),
        ("approve", "political_review", "science_review"),
        ("approve", "science_review", "final_review"),
        ("publish", "final_review", "published"),
    ]
    assert [e["actor"]["id"] for e in history] == [
        team[w].id for w in ("writer", "political", "expert", "editor")
    ]
    assert all(e["revision"] == view["revision"]["id"] for e in history)
    assert all(e["at"].endswith("Z") for e in history)

    # Published pieces are visible to anyone logged in and on the public site.
    page = client.get(f"/articles/{article['id']}")
    assert page.status_code == 200
    assert "食品添加剂都是有害的吗？" in page.get_data(as_text=True)


def test_author_cannot_approve_own_article(client, make_user):
    both = make_user("writer", "political_reviewer")
    article = post(client, "/articles", both, BODY).get_json()
    article = act(client, article, "submit", both).get_json()
    r = act(client, article, "approve", both)
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "own_article"


def test_wrong_role_is_refused_with_403(client, team, submitted):
    r = act(client, submitted, "approve", team["expert"])
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "forbidden"
    r = act(client, submitted, "withdraw", team["editor"])
    assert r.status_code == 403


def test_political_and_science_signoff_need_two_people(client, team, make_user, submitted):
    both = make_user("political_reviewer", "science_reviewer")
    article = act(client, submitted, "approve", both).get_json()
    assert article["state"] == "science_review"
    r = act(client, article, "approve", both)
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "separation_of_duties"
    assert act(client, article, "approve", team["expert"]).status_code == 200


def test_action_not_allowed_in_state_is_409(client, team, submitted):
    r = act(client, submitted, "publish", team["editor"])
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "invalid_transition"


def test_stale_version_is_409_and_changes_nothing(client, team, submitted):
    r = act(client, submitted, "approve", team["political"], version=submitted["version"] - 1)
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "stale_version"
    view = client.get(f"/api/v1/articles/{submitted['id']}", headers=team["writer"].auth).get_json()
    assert view["state"] == "political_review"
    assert view["version"] == submitted["version"]
    assert len(view["history"]) == 1


@pytest.mark.parametrize(
    "payload, code",
    [
        ({}, "reason_required"),
        ({"reason_code": "factual_error"}, "reason_required"),
        ({"reason": "数据有误"}, "reason_required"),
        ({"reason_code": "bogus", "reason": "数据有误"}, "invalid_reason"),
        ({"reason_code": "wording", "reason": "   "}, "reason_required"),
    ],
)
def test_request_changes_needs_known_reason_code_and_text(client, team, submitted, payload, code):
    r = act(client, submitted, "request_changes", team["political"], **payload)
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == code
    view = client.get(f"/api/v1/articles/{submitted['id']}", headers=team["writer"].auth).get_json()
    assert view["state"] == "political_review"


def test_changes_requested_then_resubmitted_restarts_review(client, team, submitted):
    r = act(client, submitted, "approve", team["political"])
    article = r.get_json()
    r = act(
        client,
        article,
        "request_changes",
        team["expert"],
        reason_code="unsupported_claim",
        reason="第二段的结论缺少依据",
    )
    assert r.status_code == 200
    article = r.get_json()
    assert article["state"] == "changes_requested"
    assert article["history"][-1]["reason_code"] == "unsupported_claim"

    r = client.put(
        f"/api/v1/articles/{article['id']}",
        headers=team["writer"].auth,
        json={
            "version": article["version"],
            "body_html": BODY["body_html"] + "<p>依据：GB 2760-2024。</p>",
        },
    )
    assert r.status_code == 200, r.get_json()
    article = r.get_json()
    assert article["revision"]["number"] == 2

    article = act(client, article, "submit", team["writer"]).get_json()
    assert article["state"] == "political_review"
    assert article["review_round"] == 2
    # Approvals from round 1 do not count: the political reviewer must approve again.
    article = act(client, article, "approve", team["political"]).get_json()
    assert article["state"] == "science_review"
    assert article["science_approvals"] == {"required": 1, "received": 0}

    diff = client.get(
        f"/api/v1/articles/{article['id']}/diff?from=1&to=2", headers=team["writer"].auth
    ).get_json()
    assert "+依据：GB 2760-2024。" in diff["diff"]


def test_science_review_can_require_two_experts(app, client, team, make_user):
    app.config["SCIENCE_APPROVALS"] = 2
    article = post(client, "/articles", team["writer"], BODY).get_json()
    article = act(client, article, "submit", team["writer"]).get_json()
    article = act(client, article, "approve", team["political"]).get_json()
    article = act(client, article, "approve", team["expert"]).get_json()
    assert article["state"] == "science_review"
    assert article["science_approvals"] == {"required": 2, "received": 1}
    r = act(client, article, "approve", team["expert"])
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "already_approved"
    article = act(client, article, "approve", make_user("science_reviewer")).get_json()
    assert article["state"] == "final_review"


def test_retract_needs_reason_and_editor(client, team, make_article):
    article_id = make_article(state="published")
    view = client.get(f"/api/v1/articles/{article_id}", headers=team["editor"].auth).get_json()
    r = act(client, view, "retract", team["editor"])
    assert r.status_code == 422
    r = act(client, view, "retract", team["political"], reason_code="factual_error", reason="x")
    assert r.status_code == 403
    r = act(
        client,
        view,
        "retract",
        team["editor"],
        reason_code="factual_error",
        reason="发布后发现引用数据有误",
    )
    assert r.status_code == 200
    assert r.get_json()["state"] == "retracted"
    assert client.get(f"/articles/{article_id}").status_code == 404


def test_author_can_withdraw_before_publication_only(client, team, submitted, make_article):
    r = act(client, submitted, "withdraw", team["writer"])
    assert r.status_code == 200
    assert r.get_json()["state"] == "withdrawn"
    published = make_article(author=team["writer"], state="published")
    view = client.get(f"/api/v1/articles/{published}", headers=team["writer"].auth).get_json()
    assert act(client, view, "withdraw", team["writer"]).status_code == 409


def test_unknown_action_is_404(client, team, submitted):
    r = act(client, submitted, "teleport", team["editor"])
    assert r.status_code == 404


def test_writer_cannot_see_other_writers_drafts(client, make_user, make_article):
    article_id = make_article()
    stranger = make_user("writer")
    assert client.get(f"/api/v1/articles/{article_id}", headers=stranger.auth).status_code == 404
    listing = client.get("/api/v1/articles", headers=stranger.auth).get_json()
    assert listing["total"] == 0


def test_review_queue_lists_what_awaits_my_roles(client, team, make_article, make_user):
    in_political = make_article(state="political_review")
    in_science = make_article(state="science_review")
    in_final = make_article(state="final_review")
    make_article(state="draft")

    def queue(person):  # type: ignore[no-untyped-def]
        r = client.get("/api/v1/review-queue", headers=person.auth)
        return [a["id"] for a in r.get_json()["items"]]

    assert queue(team["political"]) == [in_political]
    assert queue(team["expert"]) == [in_science]
    assert queue(team["editor"]) == [in_final]
    assert queue(team["writer"]) == []


def test_list_filters_by_state_and_paginates(client, team, make_article):
    ids = [make_article(author=team["writer"]) for _ in range(5)]
    make_article(author=team["writer"], state="political_review")
    r = client.get("/api/v1/articles?state=draft&per_page=2&page=2", headers=team["editor"].auth)
    page = r.get_json()
    assert page["total"] == 5
    assert [a["id"] for a in page["items"]] == sorted(ids, reverse=True)[2:4]
    assert client.get("/api/v1/articles?state=nope", headers=team["editor"].auth).status_code == 422
    assert (
        client.get("/api/v1/articles?per_page=1000", headers=team["editor"].auth).status_code == 422
    )
    assert client.get("/api/v1/articles?page=x", headers=team["editor"].auth).status_code == 400


def test_readers_of_a_published_piece_see_no_review_material(client, make_user, make_article):
    author = make_user("writer")
    article_id = make_article(author=author, state="published")
    reader = make_user("writer")
    view = client.get(f"/api/v1/articles/{article_id}", headers=reader.auth).get_json()
    assert view["state"] == "published" and "疫苗" in view["body_text"]
    assert view["history"] == [] and view["assignments"] == [] and view["prescreen"] is None
    for path in ("revisions", "diff?from=1&to=1", "comments"):
        assert (
            client.get(f"/api/v1/articles/{article_id}/{path}", headers=reader.auth).status_code
            == 404
        )
    own = client.get(f"/api/v1/articles/{article_id}", headers=author.auth).get_json()
    assert [e["action"] for e in own["history"]] == ["submit", "approve", "approve", "publish"]
    assert (
        client.get(f"/api/v1/articles/{article_id}/revisions", headers=author.auth).status_code
        == 200
    )
