"""The OpenAPI document is generated from the code and is valid OpenAPI 3."""

from __future__ import annotations

from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_covers_the_api(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    validate(spec)
    paths = spec["paths"]
    for path, method in [
        ("/articles", "post"),
        ("/articles", "get"),
        ("/articles/{article_id}", "get"),
        ("/articles/{article_id}", "put"),
        ("/articles/{article_id}/actions/{action}", "post"),
        ("/articles/{article_id}/comments", "post"),
        ("/review-queue", "get"),
    ]:
        assert method in paths[path], (path, method)
    create = spec["components"]["schemas"]["ArticleCreate"]
    assert set(create["required"]) == {"title", "body_html"}
    assert create["properties"]["audiences"]["items"]["enum"] == [
        "学校",
        "乡村",
        "社区",
        "机关",
        "企业",
        "公众",
    ]
