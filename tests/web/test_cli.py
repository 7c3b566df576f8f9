"""The `kepu` CLI: users, societies, demo, schema; bad input gives a message, not a traceback."""

from __future__ import annotations

import pytest

from review.services.articles import count_articles


@pytest.fixture
def cli(app):  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(args=list(args), input=input)

    return invoke


def test_users_create_prints_a_working_token_last(cli, client):
    assert cli("societies", "create", "--code", "hn-med", "--name", "湖南省医学会").exit_code == 0
    result = cli(
        "users",
        "create",
        "--email",
        "Chen@Example.org",
        "--name",
        "陈医生",
        "--role",
        "science_reviewer",
        "--role",
        "writer",
        "--society",
        "hn-med",
        "--expertise",
        "medicine_health",
        "--password-stdin",
        input="long-enough-pw\n",
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["email"] == "chen@example.org"
    assert me["roles"] == ["science_reviewer", "writer"]
    assert me["expertise"] == ["medicine_health"]
    r = client.post(
        "/api/v1/tokens", json={"email": "chen@example.org", "password": "long-enough-pw"}
    )
    assert r.status_code == 201
    r = client.post(
        "/api/v1/tokens", json={"email": "chen@example.org", "password": "wrong-password"}
    )
    assert r.status_code == 401


@pytest.mark.parametrize(
    "args, input, message",
    [
        (["--email", "not-an-email", "--name", "x", "--role", "writer"], None, "邮箱格式不正确"),
        (["--email", "a@b.org", "--name", "x", "--role", "wizard"], None, "wizard"),
        (
            ["--email", "a@b.org", "--name", "x", "--role", "writer", "--society", "nope"],
            None,
            "学会不存在",
        ),
        (
            ["--email", "a@b.org", "--name", "x", "--role", "writer", "--password-stdin"],
            "short\n",
            "密码至少",
        ),
        (["--email", "a@b.org", "--name", "  ", "--role", "writer"], None, "姓名不能为空"),
    ],
)
def test_users_create_rejects_bad_input_clearly(cli, args, input, message):
    result = cli("users", "create", *args, input=input)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_duplicate_email_and_society_are_refused(cli):
    assert (
        cli("users", "create", "--email", "a@b.org", "--name", "甲", "--role", "writer").exit_code
        == 0
    )
    result = cli("users", "create", "--email", "A@b.org", "--name", "乙", "--role", "editor")
    assert result.exit_code != 0 and "已被注册" in result.output
    assert cli("societies", "create", "--code", "x1", "--name", "某学会").exit_code == 0
    result = cli("societies", "create", "--code", "x1", "--name", "某学会")
    assert result.exit_code != 0 and "已存在" in result.output
    result = cli("societies", "create", "--code", "Bad Code!", "--name", "某学会")
    assert result.exit_code != 0 and "学会代码" in result.output


def test_demo_loads_once_and_prints_credentials(cli, db, client):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    n = count_articles(db)
    assert n == 8
    second = cli("demo")
    assert second.exit_code == 0 and "已存在" in second.output
    assert count_articles(db) == n
    editor_line = next(line for line in second.output.splitlines() if "editor@demo.kepu" in line)
    token = editor_line.split()[-1]
    listing = client.get(
        "/api/v1/articles?per_page=100", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    states = {a["state"] for a in listing["items"]}
    assert {
        "published",
        "draft",
        "political_review",
        "science_review",
        "final_review",
        "changes_requested",
        "rejected",
    } <= states


def test_db_upgrade_is_idempotent(cli):
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "0002" in result.output


def test_docs_command_prints_the_state_machine(cli):
    result = cli("docs", "state-machine")
    assert "stateDiagram-v2" in result.output
    assert "final_review --> published: publish (editor)" in result.output


def test_login_is_rate_limited(app, client, cli):
    cli(
        "users",
        "create",
        "--email",
        "rl@example.org",
        "--name",
        "限流",
        "--role",
        "writer",
        "--password-stdin",
        input="long-enough-pw\n",
    )
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    codes = [
        client.post(
            "/api/v1/tokens", json={"email": "rl@example.org", "password": "wrong-pw!"}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    r = client.post(
        "/api/v1/tokens", json={"email": "rl@example.org", "password": "long-enough-pw"}
    )
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "too_many_requests"


def test_unknown_email_and_wrong_password_get_the_same_answer(client, cli):
    cli(
        "users",
        "create",
        "--email",
        "known@example.org",
        "--name",
        "甲",
        "--role",
        "writer",
        "--password-stdin",
        input="long-enough-pw\n",
    )
    a = client.post("/api/v1/tokens", json={"email": "known@example.org", "password": "nope-nope"})
    b = client.post("/api/v1/tokens", json={"email": "nobody@example.org", "password": "nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.get_json() == b.get_json()
