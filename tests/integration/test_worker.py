"""Background jobs on a real Redis with real `kepu worker` processes: nothing is lost."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError

from app import create_app
from app.config import TestConfig
from review import outbox
from review.models import Notification, OutboxMessage
from review.services import jobs as job_service
from workflows import dispatcher

REDIS_URL = os.environ.get("KEPU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
KEPU = Path(sys.executable).parent / "kepu"

pytestmark = pytest.mark.redis


def _redis_up(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except RedisError:
        return False


def wait_for(check: Callable[[], object], timeout: float = 30, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Workers:
    """Starts `kepu worker` processes against the test database and a private queue."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env, self.log_dir, self.procs, self.files = env, log_dir, [], []

    def start(self, *extra: str) -> subprocess.Popen:
        log = open(self.log_dir / f"worker{len(self.procs)}.log", "wb")  # noqa: SIM115
        self.files.append(log)
        proc = subprocess.Popen(
            [str(KEPU), "worker", *extra],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, horse_pid: int) -> None:
        """SIGKILL the worker and its work horse (RQ puts the horse in its own session)."""
        os.kill(horse_pid, signal.SIGKILL)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        for f in self.files:
            f.close()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.log_dir.glob("*.log"))


def _settings(database_url: str, redis_url: str, queue: str, model: str) -> dict[str, str]:
    return {
        "KEPU_DATABASE_URL": database_url,
        "KEPU_REDIS_URL": redis_url,
        "KEPU_QUEUES": queue,
        "KEPU_JOB_STALE_SECONDS": "3",
        "KEPU_JOB_RETRY_INTERVALS": "1,1",
        "KEPU_JOB_PLUGINS": "tests.support.jobs",
        "KEPU_PRESCREEN_MODEL": model,
    }


@pytest.fixture
def rq_env(database_url, prescreen_model, tmp_path):  # type: ignore[no-untyped-def]
    if not _redis_up(REDIS_URL):
        pytest.skip(f"no Redis at {REDIS_URL} (set KEPU_TEST_REDIS_URL; CI starts one)")
    settings = _settings(
        database_url, REDIS_URL, f"kepu-test-{uuid.uuid4().hex[:8]}", str(prescreen_model)
    )
    env = {**os.environ, **settings, "PYTHONPATH": str(ROOT)}
    workers = Workers(env, tmp_path)
    app = create_app(
        TestConfig(
            DATABASE_URL=database_url,
            REDIS_URL=REDIS_URL,
            QUEUES=settings["KEPU_QUEUES"],
            JOB_STALE_SECONDS=3,
            JOB_RETRY_INTERVALS="1,1",
            JOB_PLUGINS="tests.support.jobs",
            PRESCREEN_MODEL=str(prescreen_model),
        )
    )
    yield app, workers
    workers.stop_all()
    app.extensions["kepu.db"].dispose()


def _job(app, name: str, key: str, **args) -> int:  # type: ignore[no-untyped-def]
    db = app.extensions["kepu.db"]
    with db.write() as s:
        row = outbox.add_job(s, name, {"key": key, **args}, key=key)
        s.flush()
        return row.id


def _row(app, outbox_id: int) -> OutboxMessage:  # type: ignore[no-untyped-def]
    with app.extensions["kepu.db"].read() as s:
        return s.get(OutboxMessage, outbox_id)


def _effects(app, key: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    with app.extensions["kepu.db"].read() as s:
        return s.scalar(
            select(func.count()).select_from(Notification).where(Notification.key == key)
        )


def test_submit_runs_prescreen_on_a_worker(rq_env, make_user):
    app, workers = rq_env
    client = app.test_client()
    writer = make_user("writer")
    workers.start()
    r = client.post(
        "/api/v1/articles",
        headers=writer.auth,
        json={
            "title": "喝隔夜茶会致癌吗",
            "body_html": "<p>震惊！隔夜茶含有大量亚硝酸盐，千万不要喝，赶紧转发！</p>",
        },
    )
    article = r.get_json()
    r = client.post(
        f"/api/v1/articles/{article['id']}/actions/submit",
        headers=writer.auth,
        json={"version": article["version"]},
    )
    assert r.status_code == 200
    assert r.get_json()["prescreen"]["status"] == "pending"

    def done():  # type: ignore[no-untyped-def]
        view = client.get(f"/api/v1/articles/{article['id']}", headers=writer.auth).get_json()
        return view if view["prescreen"]["status"] == "done" else None

    view = wait_for(done, 60, "prescreen stored by the worker")
    assert 0.0 <= view["prescreen"]["risk"] <= 1.0
    assert view["prescreen"]["model_version"]


def test_redis_down_during_submit_loses_nothing(tmp_path, database_url, prescreen_model, make_user):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"

    def start_redis() -> subprocess.Popen:
        proc = subprocess.Popen(
            [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _redis_up(url), 10, "private redis-server")
        return proc

    settings = _settings(database_url, url, "kepu-down", str(prescreen_model))
    app = create_app(
        TestConfig(
            DATABASE_URL=database_url,
            REDIS_URL=url,
            QUEUES="kepu-down",
            PRESCREEN_MODEL=str(prescreen_model),
            JOB_STALE_SECONDS=3,
        )
    )
    client = app.test_client()
    writer = make_user("writer")
    redis_proc = start_redis()
    redis_proc.terminate()
    redis_proc.wait(10)
    assert not _redis_up(url)

    r = client.post(
        "/api/v1/articles",
        headers=writer.auth,
        json={"title": "5G 基站辐射致癌？", "body_html": "<p>5G 基站的辐射会致癌。</p>"},
    )
    assert r.status_code == 201
    article = r.get_json()
    r = client.post(
        f"/api/v1/articles/{article['id']}/actions/submit",
        headers=writer.auth,
        json={"version": article["version"]},
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "political_review"
    pending = job_service.list_jobs(app.extensions["kepu.db"], status="pending")
    assert {j["job"] for j in pending} >= {"prescreen_revision", "assign_reviewers"}

    redis_proc = start_redis()
    workers = Workers({**os.environ, **settings, "PYTHONPATH": str(ROOT)}, tmp_path)
    try:
        workers.start()

        def done():  # type: ignore[no-untyped-def]
            view = client.get(f"/api/v1/articles/{article['id']}", headers=writer.auth).get_json()
            return view["prescreen"]["status"] == "done"

        wait_for(done, 60, "prescreen after Redis came back")
        assert job_service.list_jobs(app.extensions["kepu.db"], status="pending") == []
    finally:
        workers.stop_all()
        redis_proc.terminate()
        redis_proc.wait(10)
        app.extensions["kepu.db"].dispose()


def test_worker_killed_mid_job_completes_later_exactly_once(rq_env, make_user, tmp_path):
    app, workers = rq_env
    user = make_user("writer")
    log = tmp_path / "runs.log"
    outbox_id = _job(app, "probe_sleep", "probe:kill", user_id=user.id, seconds=3, log=str(log))
    first = workers.start()
    wait_for(lambda: log.exists() and "start probe:kill" in log.read_text(), 60, "job start")
    horse = int(log.read_text().split("pid=")[1].split()[0])
    workers.kill(first, horse)
    assert _row(app, outbox_id).status == "running"
    assert _effects(app, "probe:kill") == 0

    workers.start()
    wait_for(lambda: _row(app, outbox_id).status == "done", 60, "job re-run after the kill")
    runs = log.read_text()
    assert runs.count("start probe:kill") == 2, runs
    assert runs.count("done probe:kill") == 1, runs
    assert _effects(app, "probe:kill") == 1
    row = _row(app, outbox_id)
    assert row.dispatches == 2
    assert "lost" in (row.last_error or "")


def test_transient_error_is_retried_then_succeeds(rq_env, make_user, tmp_path):
    app, workers = rq_env
    user = make_user("writer")
    log = tmp_path / "runs.log"
    outbox_id = _job(app, "probe_flaky", "probe:flaky", user_id=user.id, failures=2, log=str(log))
    workers.start()
    wait_for(lambda: _row(app, outbox_id).status == "done", 60, "flaky job to succeed")
    row = _row(app, outbox_id)
    assert row.attempts == 3
    assert row.dispatches == 1  # RQ's Retry did the retrying, not a re-dispatch
    assert log.read_text().count("start probe:flaky") == 3
    assert _effects(app, "probe:flaky") == 1


def test_permanent_error_lands_in_failed_list_and_requeue_works(rq_env, make_user, tmp_path):
    app, workers = rq_env
    client = app.test_client()
    admin = make_user("admin")
    flag = tmp_path / "flag"
    outbox_id = _job(
        app,
        "probe_needs_file",
        "probe:perm",
        user_id=admin.id,
        path=str(flag),
        log=str(tmp_path / "runs.log"),
    )
    workers.start()
    wait_for(lambda: _row(app, outbox_id).status == "failed", 60, "job to fail")
    assert _row(app, outbox_id).attempts == 1  # permanent: no retries

    failed = client.get("/api/v1/admin/jobs?status=failed", headers=admin.auth).get_json()["items"]
    assert [j["id"] for j in failed] == [outbox_id]
    assert "does not exist" in failed[0]["last_error"]
    cli = app.test_cli_runner().invoke(args=["jobs", "failed"])
    assert f"#{outbox_id}" in cli.output

    flag.write_text("ok")
    r = client.post(f"/api/v1/admin/jobs/{outbox_id}/requeue", headers=admin.auth)
    assert r.status_code == 200
    assert r.get_json()["status"] == "pending"
    wait_for(lambda: _row(app, outbox_id).status == "done", 60, "requeued job to succeed")
    assert _effects(app, "probe:perm") == 1
    assert (
        client.post(f"/api/v1/admin/jobs/{outbox_id}/requeue", headers=admin.auth).status_code
        == 409
    )


def test_dispatch_twice_enqueues_once(rq_env, make_user):
    app, _workers = rq_env
    user = make_user("writer")
    outbox_id = _job(
        app, "probe_flaky", "probe:twice", user_id=user.id, failures=0, log="/dev/null"
    )
    ctx = app.extensions["kepu.jobs"]
    from app.background import queue_for

    queue = queue_for(ctx)
    assert dispatcher.dispatch(ctx, queue) == 1
    assert dispatcher.dispatch(ctx, queue) == 0
    assert queue.count == 1
    assert _row(app, outbox_id).rq_job_id == dispatcher.rq_job_id(ctx, outbox_id, 1)
    queue.empty()
