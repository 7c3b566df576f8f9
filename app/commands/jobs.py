"""`kepu worker`, `kepu dispatcher` and `kepu jobs ...`: running and inspecting background work."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker

from app.extensions import get_db
from review.exceptions import DomainError
from review.services import jobs as job_service
from workflows import context, dispatcher, periodic, runner

log = logging.getLogger(__name__)
jobs_cli = AppGroup("jobs", help="后台任务（发件箱）查看与重新排队")


def _redis_queue() -> tuple[Redis, Queue]:
    ctx = current_app.extensions["kepu.jobs"]
    if not ctx.redis_url:
        raise click.ClickException(
            "未设置 KEPU_REDIS_URL：没有 Redis 时任务在 Web 进程内直接执行，无需 worker"
        )
    conn = Redis.from_url(ctx.redis_url)
    try:
        conn.ping()
    except RedisError as exc:
        raise click.ClickException(f"无法连接 Redis（{ctx.redis_url}）：{exc}") from exc
    return conn, Queue(ctx.queue_name, connection=conn)


@click.command("worker")
@click.option("--burst", is_flag=True, help="处理完队列中的任务后退出")
@click.option("--no-dispatcher", is_flag=True, help="不在本进程内运行发件箱分发循环")
@with_appcontext
def worker_command(burst: bool, no_dispatcher: bool) -> None:
    """启动 RQ worker（默认同时运行发件箱分发与丢失任务巡检）。"""
    ctx = current_app.extensions["kepu.jobs"]
    conn, queue = _redis_queue()
    context.configure(ctx)
    try:
        ctx.prescreener()  # load the model and jieba once, before forking work horses
    except Exception as exc:  # noqa: BLE001 - other jobs can still run; pre-screens will retry
        log.error("预审模型无法加载，预审任务将失败并重试：%s", exc)
    helper = None
    if not no_dispatcher:
        # A separate process: the worker forks a work horse per job, and a process that forks
        # must hold no SQLite connection (SQLite's locks do not survive fork()).
        helper = multiprocessing.get_context("spawn").Process(
            target=_dispatcher_main, args=(os.getpid(),), name="kepu-dispatcher", daemon=True
        )
        helper.start()
    worker = Worker([queue], connection=conn, job_monitoring_interval=max(1, ctx.stale_after // 3))
    click.echo(f"worker {worker.name} 监听队列 {queue.name}（Redis {ctx.redis_url}）")
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    finally:
        if helper is not None:
            helper.terminate()
            helper.join(10)


def _dispatcher_main(parent_pid: int) -> None:
    """Entry of the worker's dispatcher process; stops when the worker is gone."""
    from app import create_app

    app = create_app()
    ctx = app.extensions["kepu.jobs"]
    context.configure(ctx)
    with app.app_context():
        _conn, queue = _redis_queue()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def watch_parent() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent_pid:
                stop.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    dispatcher.run_loop(ctx, queue, stop)


@click.command("dispatcher")
@click.option("--interval", default=1.0, show_default=True, help="轮询间隔（秒）")
@with_appcontext
def dispatcher_command(interval: float) -> None:
    """只运行发件箱分发与丢失任务巡检（不执行任务）。"""
    ctx = current_app.extensions["kepu.jobs"]
    _conn, queue = _redis_queue()
    context.configure(ctx)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"发件箱分发中 → 队列 {queue.name}；Ctrl+C 停止")
    try:
        dispatcher.run_loop(ctx, queue, stop, interval=interval)
    except KeyboardInterrupt:
        stop.set()


@jobs_cli.command("list")
@click.option("--status", default=None, help="pending / dispatched / running / done / failed")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def list_jobs(status: str | None, limit: int, as_json: bool) -> None:
    """列出后台任务。"""
    try:
        rows = job_service.list_jobs(get_db(), status=status, limit=limit)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    _print(rows, as_json)


@jobs_cli.command("failed")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def failed_jobs(as_json: bool) -> None:
    """列出失败的后台任务。"""
    _print(job_service.list_jobs(get_db(), status="failed"), as_json)


@jobs_cli.command("run")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
def run_due(limit: int) -> None:
    """在本进程内执行到期的任务（无 Redis 时可由 cron 定期调用，以发送截止提醒）。"""
    ctx = current_app.extensions["kepu.jobs"]
    context.configure(ctx)
    periodic.schedule_periodic(ctx)
    done = runner.run_inline(ctx, limit=limit)
    click.echo(f"已执行 {done} 个任务")


@jobs_cli.command("requeue")
@click.argument("job_id", type=int)
def requeue(job_id: int) -> None:
    """把一个失败的任务重新排队。"""
    try:
        row = job_service.requeue(get_db(), job_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"任务 #{row['id']}（{row['job']}）已重新排队")


def _print(rows: list[dict], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("（没有任务）")
    for r in rows:
        error = f"  错误：{r['last_error'].splitlines()[-1][:120]}" if r["last_error"] else ""
        click.echo(
            f"#{r['id']:<6} {r['status']:<10} {r['job']:<20} 尝试 {r['attempts']} 次  {r['key']}{error}"
        )
