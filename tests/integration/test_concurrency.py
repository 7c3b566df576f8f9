"""Two conflicting actions at once on one article: exactly one wins, on a real database."""

from __future__ import annotations

import threading

import pytest

ROUNDS = 8


def _race(app, article_id, version, contenders):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(contenders))
    results: list[tuple[str, int]] = []

    def run(person, action, payload):  # type: ignore[no-untyped-def]
        client = app.test_client()
        barrier.wait()
        r = client.post(
            f"/api/v1/articles/{article_id}/actions/{action}",
            json={"version": version, **payload},
            headers=person.auth,
        )
        results.append((action, r.status_code, (r.get_json() or {}).get("error", {}).get("code")))

    threads = [threading.Thread(target=run, args=c) for c in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_conflicting_reviews_exactly_one_wins(app, client, make_user, make_article, round_):
    article_id = make_article(state="political_review")
    approver = make_user("political_reviewer")
    objector = make_user("political_reviewer")
    results = _race(
        app,
        article_id,
        2,
        [
            (approver, "approve", {}),
            (objector, "reject", {"reason_code": "wording", "reason": "表述不规范"}),
        ],
    )
    statuses = sorted(status for _, status, _ in results)
    assert statuses == [200, 409], results
    loser_code = next(code for _, status, code in results if status == 409)
    assert loser_code in {"stale_version", "invalid_transition"}

    view = client.get(f"/api/v1/articles/{article_id}", headers=approver.auth).get_json()
    winner = next(action for action, status, _ in results if status == 200)
    assert view["state"] == {"approve": "science_review", "reject": "rejected"}[winner]
    assert view["version"] == 3
    assert [e["action"] for e in view["history"]] == ["submit", winner]


def test_two_experts_racing_for_the_last_approval_record_one(app, client, make_user, make_article):
    app.config["SCIENCE_APPROVALS"] = 1
    article_id = make_article(state="science_review")
    a, b = make_user("science_reviewer"), make_user("science_reviewer")
    results = _race(app, article_id, 3, [(a, "approve", {}), (b, "approve", {})])
    assert sorted(s for _, s, _ in results) == [200, 409], results
    view = client.get(f"/api/v1/articles/{article_id}", headers=a.auth).get_json()
    assert view["state"] == "final_review"
    approvals = [e for e in view["history"] if e["from"] == "science_review"]
    assert len(approvals) == 1
