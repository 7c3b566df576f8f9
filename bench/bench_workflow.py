"""Benchmark: the whole review path over real HTTP, on SQLite or PostgreSQL.

Not a test: it prints figures. Steps:

1. a fresh database (a SQLite file in a temp dir, or a throwaway ``kepu_bench_<random>`` database
   on the PostgreSQL server given by ``--database-url``, dropped at the end), migrated to head;
2. the app (``create_app``) served over HTTP on 127.0.0.1 by a threaded werkzeug server;
3. users of every role made with ``review.services.people.create_user``;
4. filler articles (bulk SQL through SQLAlchemy Core: article + one revision + audit events
   consistent with its state) up to ``--articles-in-db``;
5. ``--walk`` articles driven over HTTP (keep-alive ``http.client``, ``--concurrency`` threads):
   create, submit, approve (political), approve (science), publish;
6. ``--reads`` random ``GET /api/v1/articles/<id>`` as an editor, latency percentiles.

    .venv/bin/python bench/bench_workflow.py
    .venv/bin/python bench/bench_workflow.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Exits 1 if any request failed (non-2xx, connection error, wrong final state).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import (
    API,
    HOST,
    MAX_FAILURES_SHOWN,
    Backend,
    Cast,
    Client,
    Result,
    ThreadServer,
    code_under_test,
    fresh_database,
    machine_lines,
    make_users,
    ms,
    pct,
    run_threads,
    werkzeug_version,
)
from sqlalchemy import bindparam, create_engine, func, insert, select, update
from tqdm import tqdm

from app import create_app
from app.config import Config
from review.db import Database
from review.models import Article, AuditEvent, Revision
from review.sanitize import content_hash, html_to_text
from review.states import State

ROLES = ("writer", "political_reviewer", "science_reviewer", "editor")

# Filler mix: state -> share of the filler articles (sums to 1).
FILLER_MIX: dict[State, float] = {
    State.PUBLISHED: 0.40,
    State.DRAFT: 0.10,
    State.POLITICAL_REVIEW: 0.10,
    State.SCIENCE_REVIEW: 0.10,
    State.FINAL_REVIEW: 0.08,
    State.CHANGES_REQUESTED: 0.08,
    State.REJECTED: 0.06,
    State.WITHDRAWN: 0.04,
    State.RETRACTED: 0.04,
}

# The audit trail that leads to each state: (action, who, from, to, reason_code).
_SUBMIT = ("submit", "author", State.DRAFT, State.POLITICAL_REVIEW, None)
_POL_OK = ("approve", "political", State.POLITICAL_REVIEW, State.SCIENCE_REVIEW, None)
_SCI_OK = ("approve", "science", State.SCIENCE_REVIEW, State.FINAL_REVIEW, None)
_PUBLISH = ("publish", "editor", State.FINAL_REVIEW, State.PUBLISHED, None)
PATHS: dict[State, list[tuple[str, str, State, State, str | None]]] = {
    State.DRAFT: [],
    State.POLITICAL_REVIEW: [_SUBMIT],
    State.SCIENCE_REVIEW: [_SUBMIT, _POL_OK],
    State.FINAL_REVIEW: [_SUBMIT, _POL_OK, _SCI_OK],
    State.PUBLISHED: [_SUBMIT, _POL_OK, _SCI_OK, _PUBLISH],
    State.CHANGES_REQUESTED: [
        _SUBMIT,
        (
            "request_changes",
            "political",
            State.POLITICAL_REVIEW,
            State.CHANGES_REQUESTED,
            "wording",
        ),
    ],
    State.REJECTED: [
        _SUBMIT,
        _POL_OK,
        ("reject", "science", State.SCIENCE_REVIEW, State.REJECTED, "factual_error"),
    ],
    State.WITHDRAWN: [
        _SUBMIT,
        ("withdraw", "author", State.POLITICAL_REVIEW, State.WITHDRAWN, None),
    ],
    State.RETRACTED: [
        *[_SUBMIT, _POL_OK, _SCI_OK, _PUBLISH],
        ("retract", "editor", State.PUBLISHED, State.RETRACTED, "unsupported_claim"),
    ],
}
WALK_STEPS = (
    ("submit", "writer"),
    ("approve", "political_reviewer"),
    ("approve", "science_reviewer"),
    ("publish", "editor"),
)

log = logging.getLogger("bench")


# --------------------------------------------------------------------------- filler


def _filler_states(count: int, rng: random.Random) -> list[State]:
    states: list[State] = []
    for state, share in FILLER_MIX.items():
        states += [state] * int(count * share)
    states += [State.PUBLISHED] * (count - len(states))
    rng.shuffle(states)
    return states


def seed_filler(url: str, cast: Cast, count: int, batch: int, rng: random.Random) -> int:
    """Insert `count` articles in a mix of states with Core bulk inserts; returns rows inserted."""
    if count <= 0:
        return 0
    articles, revisions, events = Article.__table__, Revision.__table__, AuditEvent.__table__
    engine = create_engine(url)
    states = _filler_states(count, rng)
    base = datetime.now(UTC) - timedelta(days=365)
    html = "<p>谣言：{n} 号说法流传甚广。</p><p>事实：经过查证，该说法缺乏科学依据。</p>"
    done = 0
    try:
        with tqdm(total=count, desc="seed articles", unit="art", file=sys.stderr) as bar:
            for start in range(0, count, batch):
                chunk = states[start : start + batch]
                rows, meta = [], []
                for k, state in enumerate(chunk):
                    n = start + k
                    author_id, _ = cast.pick("writer", n)
                    created = base + timedelta(minutes=n)
                    path = PATHS[state]
                    updated = created + timedelta(minutes=10 * len(path))
                    rows.append(
                        {
                            "kind": "article",
                            "title": f"辟谣第 {n} 篇：常见健康误区",
                            "state": state.value,
                            "version": 1 + len(path),
                            "review_round": 1 if path else 0,
                            "required_science_approvals": 1,
                            "topics": ["健康", "辟谣"],
                            "audiences": ["公众"],
                            "society_id": None,
                            "author_id": author_id,
                            "current_revision_id": None,
                            "created_at": created,
                            "updated_at": updated,
                            "published_at": (
                                created + timedelta(minutes=40)
                                if state in (State.PUBLISHED, State.RETRACTED)
                                else None
                            ),
                        }
                    )
                    meta.append((n, state, author_id, created))
                with engine.begin() as conn:
                    ids = conn.execute(
                        insert(articles).returning(articles.c.id, sort_by_parameter_order=True),
                        rows,
                    ).scalars()
                    ids = list(ids)
                    rev_rows = []
                    for article_id, (n, _state, author_id, created) in zip(ids, meta, strict=True):
                        title = f"辟谣第 {n} 篇：常见健康误区"
                        body = html.format(n=n)
                        rev_rows.append(
                            {
                                "article_id": article_id,
                                "number": 1,
                                "title": title,
                                "body_html": body,
                                "body_text": html_to_text(body),
                                "content_hash": content_hash(title, body),
                                "author_id": author_id,
                                "created_at": created,
                            }
                        )
                    rev_ids = list(
                        conn.execute(
                            insert(revisions).returning(
                                revisions.c.id, sort_by_parameter_order=True
                            ),
                            rev_rows,
                        ).scalars()
                    )
                    conn.execute(
                        update(articles)
                        .where(articles.c.id == bindparam("aid"))
                        .values(current_revision_id=bindparam("rid")),
                        [{"aid": a, "rid": r} for a, r in zip(ids, rev_ids, strict=True)],
                    )
                    ev_rows = []
                    for article_id, rev_id, (n, state, author_id, created) in zip(
                        ids, rev_ids, meta, strict=True
                    ):
                        who = {
                            "author": author_id,
                            "political": cast.pick("political_reviewer", n)[0],
                            "science": cast.pick("science_reviewer", n + 1)[0],
                            "editor": cast.pick("editor", n)[0],
                        }
                        for step, (action, actor, frm, to, reason_code) in enumerate(PATHS[state]):
                            ev_rows.append(
                                {
                                    "article_id": article_id,
                                    "actor_id": who[actor],
                                    "action": action,
                                    "from_state": frm.value,
                                    "to_state": to.value,
                                    "reason_code": reason_code,
                                    "reason": "压测填充数据的说明" if reason_code else None,
                                    "revision_id": rev_id,
                                    "review_round": 1,
                                    "created_at": created + timedelta(minutes=10 * (step + 1)),
                                }
                            )
                    if ev_rows:
                        conn.execute(insert(events), ev_rows)
                done += len(chunk)
                bar.update(len(chunk))
        if engine.dialect.name == "postgresql":
            # Planner statistics, as autovacuum would gather them on a live database.
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE articles, revisions, audit_events")
    finally:
        engine.dispose()
    return done


# --------------------------------------------------------------------------- server


def _quiet_logs(keep: bool) -> None:
    if not keep:
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # per-request access log


def _serve_child(url: str, keep_logs: bool, port_out: Any) -> None:
    from werkzeug.serving import make_server

    app = create_app(Config(DATABASE_URL=url))
    _quiet_logs(keep_logs)
    server = make_server(HOST, 0, app, threaded=True)
    port_out.send(server.server_port)
    port_out.close()
    server.serve_forever(poll_interval=0.2)


class ProcessServer:
    """The same werkzeug server in a child process (clients and server do not share a GIL)."""

    def __init__(self, url: str, keep_logs: bool) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_serve_child, args=(url, keep_logs, child), daemon=True)
        self.proc.start()
        child.close()
        if not parent.poll(60):
            self.proc.kill()
            raise SystemExit("server process did not start within 60 s")
        self.port = parent.recv()
        self.description = (
            f"werkzeug {werkzeug_version()} ThreadedWSGIServer (thread per connection, "
            f"HTTP/1.1 keep-alive) in a child process (pid {self.proc.pid})"
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    transitions: int = 0
    creates: int = 0
    requests: int = 0
    published: int = 0

    def record(self, kind: str, res: Result, ok: bool, what: str) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.setdefault(kind, []).append(res.seconds)
            if not ok:
                detail = res.error or json.dumps(res.body, ensure_ascii=False)[:300]
                self.failures.append(f"{what}: HTTP {res.status} {detail}")


def walk_article(client: Client, cast: Cast, i: int, tally: Tally) -> None:
    """create -> submit -> approve -> approve -> publish, each with the current version."""
    _, writer_token = cast.pick("writer", i)
    res = client.call(
        "POST",
        f"{API}/articles",
        writer_token,
        {
            "title": f"压测文章 {i}：喝隔夜茶会致癌吗？",
            "body_html": (
                f"<h2>第 {i} 篇</h2><p>网传隔夜茶含<strong>亚硝酸盐</strong>会致癌。</p>"
                "<p>事实：正常存放的隔夜茶中亚硝酸盐含量极低。</p>"
                '<ul><li>来源一</li><li><a href="https://example.org/src">来源二</a></li></ul>'
            ),
            "topics": ["食品安全", "辟谣"],
            "audiences": ["公众", "社区"],
        },
    )
    ok = res.status == 201 and isinstance(res.body, dict) and res.body.get("state") == "draft"
    tally.record("create", res, ok, f"article #{i} create")
    if not ok:
        return
    with tally.lock:
        tally.creates += 1
    article_id, version = res.body["id"], res.body["version"]
    for action, role in WALK_STEPS:
        _, token = cast.pick(role, i)
        res = client.call(
            "POST", f"{API}/articles/{article_id}/actions/{action}", token, {"version": version}
        )
        ok = res.status == 200 and isinstance(res.body, dict) and res.body.get("version")
        tally.record(f"{action}/{role}", res, bool(ok), f"article {article_id} {action} ({role})")
        if not ok:
            return
        with tally.lock:
            tally.transitions += 1
        version = res.body["version"]
        if role == "science_reviewer" and res.body.get("state") == State.SCIENCE_REVIEW:
            # The pre-screener rated it high risk: a second expert must approve as well.
            _, token = cast.pick(role, i + 1)
            res = client.call(
                "POST", f"{API}/articles/{article_id}/actions/approve", token, {"version": version}
            )
            ok = res.status == 200 and isinstance(res.body, dict) and res.body.get("version")
            tally.record("approve/second_expert", res, bool(ok), f"article {article_id} 2nd expert")
            if not ok:
                return
            with tally.lock:
                tally.transitions += 1
            version = res.body["version"]
    if res.body.get("state") == State.PUBLISHED:
        with tally.lock:
            tally.published += 1
    else:
        with tally.lock:
            tally.failures.append(f"article {article_id} ended in {res.body.get('state')!r}")


# --------------------------------------------------------------------------- figures


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: conn.scalar(select(func.count()).select_from(t)) or 0
                for t in (Article.__table__, Revision.__table__, AuditEvent.__table__)
            }
    finally:
        engine.dispose()


def article_ids(url: str) -> list[int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(Article.__table__.c.id)))
    finally:
        engine.dispose()


def app_root() -> str:
    """The checkout `app` was imported from."""
    import app as app_package

    return os.path.dirname(os.path.dirname(os.path.abspath(app_package.__file__)))


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL server URL (a throwaway database is created on it and dropped); "
        "default: a fresh SQLite file in a temp dir",
    )
    p.add_argument("--articles-in-db", type=int, default=10_000, help="seed to this many articles")
    p.add_argument("--walk", type=int, default=1000, help="articles driven draft -> published")
    p.add_argument("--concurrency", type=int, default=4, help="client threads for the walk")
    p.add_argument("--reads", type=int, default=2000, help="GET /articles/<id> requests")
    p.add_argument(
        "--read-concurrency",
        type=int,
        default=1,
        help="client threads for the reads (1: latency of an otherwise idle server)",
    )
    p.add_argument("--users-per-role", type=int, default=4, help="users of each role")
    p.add_argument("--server", choices=["thread", "process"], default="thread")
    p.add_argument("--batch", type=int, default=1000, help="rows per seeding transaction")
    p.add_argument("--timeout", type=float, default=30.0, help="socket timeout per request (s)")
    p.add_argument("--max-seconds", type=float, default=1800.0, help="stop the HTTP phases then")
    p.add_argument("--seed", type=int, default=1, help="random seed (filler mix, read ids)")
    p.add_argument("--server-log", action="store_true", help="keep the server's INFO logs")
    args = p.parse_args(argv)
    for name in ("walk", "reads", "articles_in_db"):
        if getattr(args, name) < 0:
            p.error(f"--{name.replace('_', '-')} must be >= 0")
    for name in ("concurrency", "read_concurrency", "users_per_role", "batch"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with fresh_database(args.database_url or None) as backend:
        return run(args, backend, rng)


def run(args: argparse.Namespace, backend: Backend, rng: random.Random) -> int:
    app = create_app(Config(DATABASE_URL=backend.url))
    _quiet_logs(args.server_log)
    db: Database = app.extensions["kepu.db"]
    server: ThreadServer | ProcessServer | None = None
    try:
        cast = make_users(db, dict.fromkeys(ROLES, args.users_per_role))
        seeded = seed_filler(
            backend.url,
            cast,
            args.articles_in_db - table_counts(backend.url)["articles"],
            args.batch,
            rng,
        )
        before = table_counts(backend.url)
        print(
            f"seeded {seeded} filler articles; database has {before['articles']} articles, "
            f"{before['revisions']} revisions, {before['audit_events']} audit events",
            file=sys.stderr,
        )
        server = (
            ThreadServer(app)
            if args.server == "thread"
            else ProcessServer(backend.url, args.server_log)
        )
        server.start()
        deadline = time.monotonic() + args.max_seconds

        walk = Tally()
        walk_s = run_threads(
            args.walk,
            args.concurrency,
            server.port,
            args.timeout,
            deadline,
            lambda c, i: walk_article(c, cast, i, walk),
            "walk",
            walk.failures,
            failures_lock=walk.lock,
            crashed="worker",
        )

        ids = article_ids(backend.url)
        picks = [rng.choice(ids) for _ in range(args.reads)] if ids else []
        _, editor_token = cast.pick("editor", 0)
        reads = Tally()

        def read_one(client: Client, i: int) -> None:
            res = client.call("GET", f"{API}/articles/{picks[i]}", editor_token)
            ok = res.status == 200 and isinstance(res.body, dict) and res.body.get("id") == picks[i]
            reads.record("get", res, ok, f"GET article {picks[i]}")

        read_s = run_threads(
            len(picks),
            args.read_concurrency,
            server.port,
            args.timeout,
            deadline,
            read_one,
            "reads",
            reads.failures,
            failures_lock=reads.lock,
            crashed="worker",
        )
    finally:
        if server is not None:
            server.stop()
        db.dispose()
    after = table_counts(backend.url)

    failures = walk.failures + reads.failures
    if failures:
        print(f"\n{len(failures)} FAILURES (first {MAX_FAILURES_SHOWN}):", file=sys.stderr)
        for line in failures[:MAX_FAILURES_SHOWN]:
            print(f"  {line}", file=sys.stderr)

    get_lat = sorted(reads.latencies.get("get", []))
    step_lines = []
    for kind, values in walk.latencies.items():
        values.sort()
        step_lines.append(
            f"  {kind:<30} n={len(values):<5} p50 {ms(pct(values, 50)):>7} ms   "
            f"p99 {ms(pct(values, 99)):>7} ms"
        )
    lines = [
        "",
        "=" * 78,
        "kepu-review workflow benchmark",
        "=" * 78,
        f"database          {backend.version} ({backend.name})",
        f"code              {code_under_test(app_root())}",
        f"server            {server.description if server else '-'}",
        f"client            http.client keep-alive, {args.concurrency} threads (walk), "
        f"{args.read_concurrency} (reads), same host (127.0.0.1)",
        f"server INFO logs  {'on' if args.server_log else 'off (WARNING and above only)'}",
        f"articles in db    {before['articles']} before the walk ({seeded} bulk-seeded), "
        f"{after['articles']} after",
        f"audit events      {before['audit_events']} before, {after['audit_events']} after",
        f"walk              {args.walk} articles x (create + 4 transitions), "
        f"concurrency {args.concurrency}",
        f"  created         {walk.creates}   published {walk.published}   "
        f"transitions {walk.transitions}",
        f"  wall time       {walk_s:.2f} s",
        f"  transitions/s   {walk.transitions / walk_s:.1f}" if walk_s else "  transitions/s   -",
        f"  requests/s      {walk.requests / walk_s:.1f} (creates + transitions)"
        if walk_s
        else "  requests/s      -",
        "  per request latency (ms):",
        *step_lines,
        f"reads             {len(get_lat)} x GET {API}/articles/<random id> as editor, "
        f"concurrency {args.read_concurrency}, {read_s:.2f} s "
        f"({len(get_lat) / read_s if read_s else 0:.1f} req/s)",
        f"  GET latency     p50 {ms(pct(get_lat, 50))} ms   p90 {ms(pct(get_lat, 90))} ms   "
        f"p99 {ms(pct(get_lat, 99))} ms   max {ms(get_lat[-1] if get_lat else float('nan'))} ms",
        f"failed requests   {len(failures)}",
        *machine_lines(),
        "=" * 78,
    ]
    print("\n".join(lines))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
