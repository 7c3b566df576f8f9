"""Expert verdicts become training data; a retrain replaces the model only if not worse."""

from __future__ import annotations

import hashlib
import json
import shutil

from app import create_app
from app.config import TestConfig
from review.services import articles
from review.services.jobs import list_jobs
from workflows import runner


def test_verdicts_export_and_retrain_job(database_url, prescreen_model, tmp_path, make_user):
    model = tmp_path / "model.joblib"
    shutil.copy(prescreen_model, model)
    app = create_app(TestConfig(DATABASE_URL=database_url, PRESCREEN_MODEL=str(model)))
    db = app.extensions["kepu.db"]
    writer = make_user("writer")
    political = make_user("political_reviewer")
    expert = make_user("science_reviewer")
    admin = make_user("admin")

    def to_science(title: str, html: str) -> int:
        article_id = articles.create_article(db, writer.actor, title=title, body_html=html)
        articles.perform(db, writer.actor, article_id, "submit", version=1)
        articles.perform(db, political.actor, article_id, "approve", version=2)
        return article_id

    good = to_science("流感疫苗", "<p>接种流感疫苗是预防流感最有效的手段。</p>")
    articles.perform(db, expert.actor, good, "approve", version=3)
    bad = to_science("碱性水治癌", "<p>喝碱性水可以改变酸性体质，治愈癌症。</p>")
    articles.perform(
        db,
        expert.actor,
        bad,
        "reject",
        version=3,
        reason_code="factual_error",
        reason="人体酸碱度不受饮水影响",
    )
    wording = to_science("措辞问题", "<p>一篇措辞需要修改的文章。</p>")
    articles.perform(
        db,
        expert.actor,
        wording,
        "request_changes",
        version=3,
        reason_code="wording",
        reason="措辞不规范",
    )

    out = tmp_path / "verdicts.jsonl"
    result = app.test_cli_runner().invoke(args=["prescreen", "export-verdicts", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted((line["label"], line["text"].split("\n")[0]) for line in lines) == [
        ("credible", "流感疫苗"),
        ("misinfo", "碱性水治癌"),
    ]

    client = app.test_client()
    assert client.post("/api/v1/admin/prescreen/retrain", headers=writer.auth).status_code == 403
    r = client.post("/api/v1/admin/prescreen/retrain", headers=admin.auth)
    assert r.status_code == 202
    runner.run_inline(app.extensions["kepu.jobs"])
    job = next(j for j in list_jobs(db) if j["job"] == "retrain_prescreener")
    assert job["status"] == "done", job
    assert job["result"]["accepted"] is False  # two verdicts are too few to hold any out
    app.extensions["kepu.db"].dispose()


def test_retrain_replaces_the_model_file_only_when_accepted(
    database_url, prescreen_model, tmp_path, make_user
):
    model = tmp_path / "model.joblib"
    shutil.copy(prescreen_model, model)
    before = hashlib.sha256(model.read_bytes()).hexdigest()
    app = create_app(TestConfig(DATABASE_URL=database_url, PRESCREEN_MODEL=str(model)))
    db = app.extensions["kepu.db"]
    writer, political, expert = (
        make_user(r) for r in ("writer", "political_reviewer", "science_reviewer")
    )
    claims = [
        ("credible", f"第{i}篇：按国家标准使用食品添加剂是安全的，科学研究支持这一结论。")
        for i in range(8)
    ] + [
        ("misinfo", f"第{i}条紧急转发：吃了这种食物百分之百致癌，央视都报了，不转不是中国人！")
        for i in range(8)
    ]
    for label, text in claims:
        article_id = articles.create_article(
            db, writer.actor, title=text[:20], body_html=f"<p>{text}</p>"
        )
        articles.perform(db, writer.actor, article_id, "submit", version=1)
        articles.perform(db, political.actor, article_id, "approve", version=2)
        if label == "credible":
            articles.perform(db, expert.actor, article_id, "approve", version=3)
        else:
            articles.perform(
                db,
                expert.actor,
                article_id,
                "reject",
                version=3,
                reason_code="unsupported_claim",
                reason="无依据",
            )
    from workflows.jobs import retrain_prescreener

    decision = retrain_prescreener(app.extensions["kepu.jobs"])
    after = hashlib.sha256(model.read_bytes()).hexdigest()
    assert decision["candidate_metrics"] and decision["current_metrics"]
    assert (after != before) == decision["accepted"]
    if decision["accepted"]:  # the next job uses the new model
        assert app.extensions["kepu.jobs"].prescreener().version == decision["candidate_version"]
    app.extensions["kepu.db"].dispose()
