"""Jobs in the embedded mode (no Redis): run right after the request, from the outbox."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select, update

from review import outbox
from review.models import Assignment, Notification, OutboxMessage, Prescreen
from review.policy import ReviewPolicy
from review.services import assignments
from workflows import runner

RUMOR = {
    "title": "紧急转发：吃转基因食品会导致不孕不育",
    "body_html": "<p>震惊！专家都不敢说的真相：转基因大豆油含有毒素，吃了绝对会导致不孕不育，"
    "央视都报了，赶紧转发给家人！</p>",
    "topics": ["转基因"],
}


def submit(client, person, payload):  # type: ignore[no-untyped-def]
    article = client.post("/api/v1/articles", json=payload, headers=person.auth).get_json()
    r = client.post(
        f"/api/v1/articles/{article['id']}/actions/submit",
        json={"version": article["version"]},
        headers=person.auth,
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def view(client, person, article_id):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/articles/{article_id}", headers=person.auth).get_json()


def test_submit_prescreens_inline_and_stores_result_with_revision(client, make_user, db):
    writer = make_user("writer")
    submitted = submit(client, writer, RUMOR)
    shown = view(client, writer, submitted["id"])
    prescreen = shown["prescreen"]
    assert prescreen["status"] == "done"
    assert prescreen["risk"] >= 0.5
    assert "agriculture_gmo" in [t["code"] for t in prescreen["topics"]]
    text = shown["body_text"]
    for flag in prescreen["flags"]:
        for term in flag["terms"]:
            assert f"{shown['title']}\n{text}"[term["start"] : term["end"]] == term["term"]
    with db.read() as s:
        rows = s.scalars(select(Prescreen)).all()
        assert [r.revision_id for r in rows] == [shown["revision"]["id"]]


def test_prescreen_job_is_idempotent(app, client, make_user, db):
    writer = make_user("writer")
    submitted = submit(client, writer, RUMOR)
    ctx = app.extensions["kepu.jobs"]
    revision_id = submitted["revision"]["id"]
    from workflows.jobs import prescreen_revision

    prescreen_revision(ctx, revision_id)
    prescreen_revision(ctx, revision_id)
    with db.read() as s:
        assert (
            len(s.scalars(select(Prescreen).where(Prescreen.revision_id == revision_id)).all()) == 1
        )


def test_high_risk_article_needs_two_experts_matching_experts_assigned_first(client, make_user):
    writer = make_user("writer")
    political = make_user("political_reviewer")
    make_user("science_reviewer", expertise=["it_telecom"])
    agri = make_user("science_reviewer", expertise=["agriculture_gmo", "food_safety"])
    food = make_user("science_reviewer", expertise=["food"])
    make_user("editor")
    submitted = submit(client, writer, RUMOR)
    shown = client.post(
        f"/api/v1/articles/{submitted['id']}/actions/approve",
        json={"version": submitted["version"]},
        headers=political.auth,
    ).get_json()
    assert shown["state"] == "science_review"
    assert shown["prescreen"]["risk"] >= 0.7
    assert shown["science_approvals"]["required"] == 2
    shown = view(client, writer, submitted["id"])
    science = [a for a in shown["assignments"] if a["stage"] == "science_review"]
    assert len(science) == 2
    assert science[0]["reviewer"]["id"] == agri.id
    assert {a["reviewer"]["id"] for a in science} <= {agri.id, food.id} | {
        science[1]["reviewer"]["id"]
    }

    queue = client.get("/api/v1/review-queue", headers=agri.auth).get_json()["items"]
    assert queue[0]["id"] == submitted["id"]
    assert queue[0]["assigned_to_me"] and "agriculture_gmo" in queue[0]["topics_matched"]

    r = client.post(
        f"/api/v1/articles/{submitted['id']}/actions/approve",
        json={"version": shown["version"]},
        headers=agri.auth,
    )
    assert r.get_json()["state"] == "science_review"
    r = client.post(
        f"/api/v1/articles/{submitted['id']}/actions/approve",
        json={"version": r.get_json()["version"]},
        headers=food.auth,
    )
    assert r.get_json()["state"] == "final_review"


def test_low_risk_article_needs_one_expert(client, make_user):
    writer = make_user("writer")
    political = make_user("political_reviewer")
    make_user("science_reviewer")
    calm = {
        "title": "流感疫苗接种指南",
        "body_html": "<p>根据国家卫生健康委员会发布的指南，"
        "六月龄以上无禁忌证人群均可接种流感疫苗。接种后少数人可能出现低热，一般一到两天内自行缓解。</p>",
    }
    submitted = submit(client, writer, calm)
    shown = client.post(
        f"/api/v1/articles/{submitted['id']}/actions/approve",
        json={"version": submitted["version"]},
        headers=political.auth,
    ).get_json()
    assert shown["prescreen"]["risk"] < 0.7
    assert shown["science_approvals"]["required"] == 1


def test_author_is_never_assigned_and_least_loaded_goes_first(client, make_user, make_article, db):
    both = make_user("writer", "political_reviewer")
    busy = make_user("political_reviewer")
    idle = make_user("political_reviewer")
    for _ in range(2):
        make_article(state="political_review")  # their assignments spread over busy/idle/both
    with db.read() as s:
        load = {uid: 0 for uid in (both.id, busy.id, idle.id)}
        for a in s.scalars(select(Assignment).where(Assignment.status == "open")):
            load[a.reviewer_id] += 1
    submitted = submit(client, both, {"title": "标题", "body_html": "<p>正文内容</p>"})
    shown = view(client, both, submitted["id"])
    assigned = [a["reviewer"]["id"] for a in shown["assignments"]]
    assert len(assigned) == 1 and both.id not in assigned
    assert load[assigned[0]] == min(load[busy.id], load[idle.id])


def test_transitions_notify_the_author(client, make_user):
    writer = make_user("writer")
    political = make_user("political_reviewer")
    submitted = submit(client, writer, RUMOR)
    client.post(
        f"/api/v1/articles/{submitted['id']}/actions/request_changes",
        headers=political.auth,
        json={
            "version": submitted["version"],
            "reason_code": "factual_error",
            "reason": "转基因食品致不孕的说法没有科学依据",
        },
    )
    notes = client.get("/api/v1/notifications", headers=writer.auth).get_json()
    assert notes["unread"] == 1
    assert "没有科学依据" in notes["items"][0]["message"]
    r = client.post(f"/api/v1/notifications/{notes['items'][0]['id']}/read", headers=writer.auth)
    assert r.get_json()["read"] is True
    assert client.get("/api/v1/notifications", headers=writer.auth).get_json()["unread"] == 0
    assigned = client.get("/api/v1/notifications", headers=political.auth).get_json()
    assert any("待你审核" in n["message"] for n in assigned["items"])
    other = make_user("writer")
    assert (
        client.post(
            f"/api/v1/notifications/{notes['items'][0]['id']}/read", headers=other.auth
        ).status_code
        == 404
    )


def test_due_time_counts_chinese_working_days():
    from review.workdays import add_working_days

    # Friday 2026-09-25 10:00 Beijing; 2026-09-27 (Sunday) ... National Day holiday Oct 1-7.
    start = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Beijing
    due = add_working_days(start, 2)
    # Oct 1-7 are holidays and Oct 10 (Saturday) is a make-up working day.
    assert due.astimezone(UTC).date().isoformat() in {"2026-10-09", "2026-10-10"}
    assert (
        add_working_days(datetime(2026, 10, 8, 2, 0, tzinfo=UTC), 2).date().isoformat()
        == "2026-10-10"
    )


def test_reminders_before_due_and_escalation_after(client, make_user, make_article, db):
    editor = make_user("editor")
    reviewer = make_user("political_reviewer")
    article_id = make_article(state="political_review")
    with db.read() as s:
        assignment = s.scalar(select(Assignment).where(Assignment.article_id == article_id))
    assert assignment.reviewer_id == reviewer.id
    policy = ReviewPolicy()
    due = assignment.due_at
    assert assignments.check_deadlines(db, policy, now=due - timedelta(hours=48)) == {
        "reminded": 0,
        "escalated": 0,
    }
    assert assignments.check_deadlines(db, policy, now=due - timedelta(hours=2)) == {
        "reminded": 1,
        "escalated": 0,
    }
    assert assignments.check_deadlines(db, policy, now=due - timedelta(hours=1)) == {
        "reminded": 0,
        "escalated": 0,
    }
    assert assignments.check_deadlines(db, policy, now=due + timedelta(hours=1)) == {
        "reminded": 0,
        "escalated": 1,
    }
    editor_notes = client.get("/api/v1/notifications", headers=editor.auth).get_json()["items"]
    assert any("逾期" in n["message"] for n in editor_notes)
    shown = view(client, editor, article_id)
    # Overdue as seen now? due is days ahead of the real clock, so not yet; force it:
    with db.write() as s:
        s.execute(update(Assignment).values(due_at=datetime.now(UTC) - timedelta(hours=1)))
    shown = view(client, editor, article_id)
    assert shown["assignments"][0]["overdue"] and shown["assignments"][0]["escalated"]

    backup = make_user("political_reviewer")
    r = client.post(
        f"/api/v1/articles/{article_id}/assignments",
        json={"reviewer_id": backup.id},
        headers=editor.auth,
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["replaced"] == [reviewer.id]
    shown = view(client, editor, article_id)
    status = {a["reviewer"]["id"]: a["status"] for a in shown["assignments"]}
    assert status == {reviewer.id: "reassigned", backup.id: "open"}
    # Refusals: not an editor, wrong role, unknown user, the same reviewer again.
    assert (
        client.post(
            f"/api/v1/articles/{article_id}/assignments",
            json={"reviewer_id": backup.id},
            headers=reviewer.auth,
        ).status_code
        == 403
    )
    writer = make_user("writer")
    assert (
        client.post(
            f"/api/v1/articles/{article_id}/assignments",
            json={"reviewer_id": writer.id},
            headers=editor.auth,
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/articles/{article_id}/assignments",
            json={"reviewer_id": 99999},
            headers=editor.auth,
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/articles/{article_id}/assignments",
            json={"reviewer_id": backup.id},
            headers=editor.auth,
        ).status_code
        == 422
    )


def test_transient_failure_inline_is_retried_later_then_permanent_failure_listed(
    app, db, make_user
):
    ctx = app.extensions["kepu.jobs"]
    ctx.plugins = ("tests.support.jobs",)
    ctx.retry_intervals = (0, 0)
    user = make_user("writer")
    import tempfile

    log = tempfile.mktemp()
    with db.write() as s:
        flaky = outbox.add_job(
            s, "probe_flaky", {"user_id": user.id, "key": "k1", "failures": 1, "log": log}, key="k1"
        )
        broken = outbox.add_job(s, "no_such_job", {}, key="k2")
        s.flush()
        flaky_id, broken_id = flaky.id, broken.id
    runner.run_inline(ctx)
    with db.read() as s:
        assert s.get(OutboxMessage, flaky_id).status == "pending"
        assert s.get(OutboxMessage, broken_id).status == "failed"
    runner.run_inline(ctx)
    with db.read() as s:
        assert s.get(OutboxMessage, flaky_id).status == "done"
        assert s.get(OutboxMessage, flaky_id).attempts == 2
        assert s.scalar(select(Notification).where(Notification.key == "k1")) is not None


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []
    fail_first = 0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    _Receiver.received, _Receiver.fail_first = [], 1
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_publish_sends_signed_webhook_retried_after_503(
    app, client, make_user, make_article, receiver
):
    admin = make_user("admin")
    r = client.post("/api/v1/admin/webhooks", json={"url": receiver}, headers=admin.auth)
    assert r.status_code == 201
    secret = r.get_json()["secret"]
    assert (
        client.post(
            "/api/v1/admin/webhooks", json={"url": "ftp://x"}, headers=admin.auth
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/admin/webhooks", json={"url": receiver}, headers=make_user("writer").auth
        ).status_code
        == 403
    )
    app.extensions["kepu.jobs"].retry_intervals = (0, 0)
    article_id = make_article(state="final_review")
    editor = make_user("editor")
    r = client.post(
        f"/api/v1/articles/{article_id}/actions/publish", json={"version": 4}, headers=editor.auth
    )
    assert r.status_code == 200
    assert _Receiver.received == []  # the first delivery met a 503
    assert runner.run_inline(app.extensions["kepu.jobs"]) == 1  # the retry
    assert len(_Receiver.received) == 1
    headers, body = _Receiver.received[0]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Kepu-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "article.published" and payload["article"]["id"] == article_id


def test_notifications_are_emailed_through_smtp(
    app, client, make_user, database_url, prescreen_model
):
    from aiosmtpd.controller import Controller

    from app import create_app
    from app.config import TestConfig

    class Sink:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            Sink.messages.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mail_app = create_app(
            TestConfig(
                DATABASE_URL=database_url,
                PRESCREEN_MODEL=str(prescreen_model),
                SMTP_URL=f"smtp://127.0.0.1:{port}",
            )
        )
        mail_client = mail_app.test_client()
        writer = make_user("writer", email="writer-mail@example.org")
        political = make_user("political_reviewer", email="pol-mail@example.org")
        submitted = submit(mail_client, writer, RUMOR)
        mail_client.post(
            f"/api/v1/articles/{submitted['id']}/actions/reject",
            headers=political.auth,
            json={
                "version": submitted["version"],
                "reason_code": "factual_error",
                "reason": "缺乏依据",
            },
        )
        recipients = [rcpt for m in Sink.messages for rcpt in m.rcpt_tos]
        assert "pol-mail@example.org" in recipients  # assignment notice
        assert "writer-mail@example.org" in recipients  # rejection notice, reason with a line break
        subjects = [
            email.message_from_bytes(m.content, policy=email.policy.default)["Subject"]
            for m in Sink.messages
        ]
        assert any("未通过审核" in subject for subject in subjects)
        mail_app.extensions["kepu.db"].dispose()
    finally:
        controller.stop()


def test_embedded_mode_checks_deadlines_without_redis(app, client, make_user, make_article, db):
    editor = make_user("editor")
    make_user("political_reviewer")
    article_id = make_article(state="political_review")
    with db.write() as s:
        s.execute(update(Assignment).values(due_at=datetime.now(UTC) - timedelta(hours=1)))
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.job == "check_deadlines")
            .values(key="deadlines:old")
        )  # as if the last check ran in an earlier period
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    notes = client.get("/api/v1/notifications", headers=editor.auth).get_json()["items"]
    assert any("逾期" in n["message"] and n["article"] == article_id for n in notes)
