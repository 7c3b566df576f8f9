"""Bad input gets a clear 4xx in the one error shape and stores nothing."""

from __future__ import annotations

import pytest

from review.services.articles import count_articles

GOOD = {"title": "标题", "body_html": "<p>正文</p>", "topics": [], "audiences": ["公众"]}


@pytest.fixture
def writer(make_user):  # type: ignore[no-untyped-def]
    return make_user("writer")


def error_of(response):  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    assert body["error"]["message"]
    return body["error"]


def raw_post(client, writer, data: bytes, content_type="application/json"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/articles", data=data, headers={**writer.auth, "Content-Type": content_type}
    )


@pytest.mark.parametrize(
    "data, code",
    [
        (b'{"title": "x", ', "malformed_json"),
        (b"", "malformed_json"),
        (b"[1, 2]", "malformed_json"),
        (b'"just a string"', "malformed_json"),
        (b'{"title": NaN}', "malformed_json"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed_json"),
        (b'{"title": "\xff\xfe"}', "invalid_encoding"),
    ],
)
def test_malformed_body_is_400(client, db, writer, data, code):
    r = raw_post(client, writer, data)
    assert r.status_code == 400
    assert error_of(r)["code"] == code
    assert count_articles(db) == 0


def test_non_json_content_type_is_415(client, db, writer):
    r = raw_post(client, writer, b"title=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert count_articles(db) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer kp_nope"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
)
def test_missing_or_invalid_token_is_401(client, db, headers):
    r = client.post("/api/v1/articles", json=GOOD, headers=headers)
    assert r.status_code == 401
    assert error_of(r)["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert count_articles(db) == 0


def test_revoked_token_is_401(client, writer):
    assert client.delete("/api/v1/tokens/current", headers=writer.auth).status_code == 204
    assert client.get("/api/v1/me", headers=writer.auth).status_code == 401


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": 42}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"body_html": ["<p>"]}, "body_html"),
        ({"topics": "食品"}, "topics"),
        ({"topics": [1, 2]}, "topics.0"),
        ({"audiences": ["火星人"]}, "audiences.0"),
        ({"unexpected": True}, "unexpected"),
    ],
)
def test_wrong_fields_are_422_with_field_details(client, db, writer, change, field):
    payload = {**GOOD, **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    r = client.post("/api/v1/articles", json=payload, headers=writer.auth)
    assert r.status_code == 422
    err = error_of(r)
    assert field in [d["field"] for d in err["details"]]
    assert count_articles(db) == 0


def test_whitespace_title_is_422(client, db, writer):
    r = client.post("/api/v1/articles", json={**GOOD, "title": "   "}, headers=writer.auth)
    assert r.status_code == 422
    assert count_articles(db) == 0


def test_oversize_body_is_413(app, client, db, writer):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    payload = {**GOOD, "body_html": "<p>" + "科" * 10_000 + "</p>"}
    r = client.post("/api/v1/articles", json=payload, headers=writer.auth)
    assert r.status_code == 413
    assert error_of(r)["code"] == "payload_too_large"
    assert count_articles(db) == 0


def test_pathologically_nested_html_is_422(client, db, writer):
    payload = {**GOOD, "body_html": "<b>" * 20000}
    r = client.post("/api/v1/articles", json=payload, headers=writer.auth)
    assert r.status_code == 422
    assert error_of(r)["details"] == {"field": "body_html"}
    assert count_articles(db) == 0


def test_default_body_limit_is_2_mib(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


def test_version_must_be_an_integer(client, writer, make_article):
    article_id = make_article(author=writer)
    for bad in ("1", 1.5, None, True):
        r = client.post(
            f"/api/v1/articles/{article_id}/actions/submit",
            json={"version": bad},
            headers=writer.auth,
        )
        assert r.status_code == 422, bad


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/articles/999999"),
        ("put", "/api/v1/articles/999999"),
        ("post", "/api/v1/articles/999999/actions/submit"),
        ("get", "/api/v1/articles/999999/comments"),
        ("get", "/api/v1/nowhere"),
    ],
)
def test_unknown_ids_are_404(client, writer, method, path):
    r = getattr(client, method)(path, json={"version": 1}, headers=writer.auth)
    assert r.status_code == 404
    assert error_of(r)["code"] == "not_found"


def test_wrong_method_is_405_in_json(client, writer):
    r = client.delete("/api/v1/articles", headers=writer.auth)
    assert r.status_code == 405
    assert error_of(r)["code"] == "method_not_allowed"


def test_hostile_html_is_sanitized_not_rejected(client, writer):
    payload = {
        **GOOD,
        "body_html": '<p onclick="x()">好</p><script>alert(1)</script><img src=x onerror=alert(1)>',
    }
    r = client.post("/api/v1/articles", json=payload, headers=writer.auth)
    assert r.status_code == 201
    html = r.get_json()["body_html"]
    assert "script" not in html and "onerror" not in html and "onclick" not in html
    assert "好" in html


def test_editing_someone_elses_article_is_403_and_changes_nothing(client, make_user, make_article):
    owner = make_user("writer")
    article_id = make_article(author=owner)
    editor = make_user("editor")
    r = client.put(
        f"/api/v1/articles/{article_id}", json={"version": 1, "title": "改"}, headers=editor.auth
    )
    assert r.status_code == 403
    view = client.get(f"/api/v1/articles/{article_id}", headers=owner.auth).get_json()
    assert view["title"] != "改" and view["version"] == 1


def test_server_errors_are_generic_without_traceback(app, client, writer, monkeypatch):
    from review.services import queries

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "list_articles", boom)
    r = client.get("/api/v1/articles", headers=writer.auth)
    assert r.status_code == 500
    text = r.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    assert error_of(r)["code"] == "internal_error"


def test_security_headers_on_every_response(client, writer):
    for r in (
        client.get("/"),
        client.get("/api/v1/articles", headers=writer.auth),
        client.get("/api/v1/nowhere"),
    ):
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"]


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", f"/api/v1/articles/{10**30}", None),
        ("put", f"/api/v1/articles/{10**30}", {"version": 1}),
        ("post", f"/api/v1/articles/{10**30}/actions/submit", {"version": 1}),
        ("get", "/api/v1/articles/0", None),
        ("post", f"/api/v1/notifications/{10**30}/read", None),
        ("post", f"/api/v1/admin/jobs/{10**30}/requeue", None),
        ("get", f"/articles/{10**30}", None),
    ],
)
def test_out_of_range_ids_in_paths_are_404(client, writer, method, path, body):
    r = getattr(client, method)(path, json=body, headers=writer.auth)
    assert r.status_code == 404


@pytest.mark.parametrize(
    "query",
    ["page=99999999999999999999", f"page={2**62}", "page=²", "per_page=-1", "page=1e3"],
)
def test_out_of_range_query_numbers_are_4xx(client, writer, query):
    r = client.get(f"/api/v1/articles?{query}", headers=writer.auth)
    assert r.status_code in (400, 422)
    error_of(r)


def test_huge_numbers_in_bodies_are_422(client, writer, make_article):
    article_id = make_article(author=writer)
    r = client.post(
        f"/api/v1/articles/{article_id}/actions/submit",
        json={"version": 10**30},
        headers=writer.auth,
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/articles/{article_id}/comments",
        json={"revision": 10**30, "text": "x"},
        headers=writer.auth,
    )
    assert r.status_code == 422
    r = client.get(f"/api/v1/articles/{article_id}/comments?revision=²", headers=writer.auth)
    assert r.status_code == 400
    r = client.get(f"/api/v1/articles/{article_id}/diff?from={10**30}&to=1", headers=writer.auth)
    assert r.status_code == 400


def test_nul_characters_are_refused(client, db, writer):
    r = client.post("/api/v1/articles", json={**GOOD, "title": "标\x00题"}, headers=writer.auth)
    assert r.status_code == 400
    assert error_of(r)["code"] == "invalid_characters"
    assert count_articles(db) == 0
