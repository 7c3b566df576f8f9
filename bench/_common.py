"""Pieces shared by the HTTP benchmarks: database, users, server, client, threads, figures.

Imported as ``_common`` by the scripts next to it (``python bench/bench_X.py`` puts ``bench/`` on
``sys.path``).
"""

from __future__ import annotations

import http.client
import json
import math
import os
import platform
import queue
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url
from tqdm import tqdm

from review import schema
from review.db import Database
from review.services import people

HOST = "127.0.0.1"
API = "/api/v1"
MAX_FAILURES_SHOWN = 20


# --------------------------------------------------------------------------- database


@dataclass
class Backend:
    """The benchmark database: SQLAlchemy URL, backend name and server version."""

    url: str  # SQLAlchemy URL of the benchmark database
    name: str  # "sqlite" or "postgresql"
    version: str


def pg_admin(url: str) -> str:
    """A plain psycopg connection string for the server of a SQLAlchemy PostgreSQL URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_database(url: str | None, tmp: Path | None = None, label: str = "") -> Iterator[Backend]:
    """A new, empty database migrated to head; removed afterwards."""
    prefix = f"[{label}] " if label else ""
    if not url:
        if tmp is None:
            with tempfile.TemporaryDirectory(prefix="kepu_bench_") as own:
                bench_url = f"sqlite:///{own}/bench.sqlite"
                schema.upgrade(bench_url)
                yield Backend(bench_url, "sqlite", f"SQLite {sqlite3.sqlite_version}")
            return
        path = tmp / f"bench-{label}.sqlite"
        bench_url = f"sqlite:///{path}"
        schema.upgrade(bench_url)
        try:
            yield Backend(bench_url, "sqlite", f"SQLite {sqlite3.sqlite_version}")
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        raise SystemExit("for SQLite leave --database-url out: a fresh file is made in a temp dir")
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"unsupported database: {parsed.get_backend_name()}")
    name = f"kepu_bench_{uuid.uuid4().hex[:10]}"
    admin = pg_admin(url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    print(f"{prefix}created database {name}", file=sys.stderr)
    try:
        bench_url = parsed.set(database=name).render_as_string(hide_password=False)
        schema.upgrade(bench_url)
        yield Backend(bench_url, "postgresql", f"PostgreSQL {version}")
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"{prefix}dropped database {name}", file=sys.stderr)


# --------------------------------------------------------------------------- users


@dataclass
class Cast:
    """Benchmark users by role: (user id, API token)."""

    by_role: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def pick(self, role: str, i: int) -> tuple[int, str]:
        """The i-th user of a role, round robin."""
        users = self.by_role[role]
        return users[i % len(users)]


def make_users(
    db: Database,
    counts: dict[str, int],
    expertise: Callable[[str, int], list[str] | None] | None = None,
) -> Cast:
    """`counts[role]` users of each role (numbered from 1), with `expertise(role, n)` if given."""
    cast = Cast()
    for role, count in counts.items():
        cast.by_role[role] = []
        for n in range(1, count + 1):
            user, token = people.create_user(
                db,
                email=f"bench-{role.replace('_', '-')}-{n}@bench.example.org",
                name=f"压测{role}{n}",
                roles=[role],
                expertise=expertise(role, n) if expertise else None,
            )
            cast.by_role[role].append((user.id, token))
    return cast


# --------------------------------------------------------------------------- server


def werkzeug_version() -> str:
    """The installed werkzeug version."""
    from importlib.metadata import version

    return version("werkzeug")


class ThreadServer:
    """werkzeug's threaded WSGI server in a background thread of this process."""

    def __init__(self, app: Any) -> None:
        from werkzeug.serving import make_server

        self.server = make_server(HOST, 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self.description = (
            f"werkzeug {werkzeug_version()} ThreadedWSGIServer (thread per connection, "
            "HTTP/1.1 keep-alive) in a background thread of the benchmark process"
        )

    def start(self) -> None:
        """Start serving."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


# --------------------------------------------------------------------------- client


@dataclass
class Result:
    """One HTTP exchange: status, latency and decoded body."""

    status: int  # 0 for a connection-level failure
    seconds: float
    body: Any
    started: float = 0.0  # time.time() when the request was sent
    error: str = ""


class Client:
    """One keep-alive HTTP/1.1 connection to the server; reconnects after a failure."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method: str, path: str, token: str, payload: Any = None) -> Result:
        """Send one JSON request with a bearer token; never raises for network errors."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if payload is not None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        wall = time.time()
        start = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
            elapsed = time.perf_counter() - start
            if resp.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            err = f"{type(exc).__name__}: {exc}"
            return Result(0, time.perf_counter() - start, None, wall, err)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw[:300].decode(errors="replace")
        return Result(resp.status, elapsed, body, wall)


def run_threads(
    n_items: int,
    concurrency: int,
    port: int,
    timeout: float,
    deadline: float,
    work: Callable[[Client, int], None],
    desc: str,
    failures: list[str],
    *,
    failures_lock: threading.Lock | None = None,
    leave: bool = True,
    crashed: str = "thread",
) -> float:
    """Run `work(client, i)` for i in range(n_items) on `concurrency` threads; returns seconds."""
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(n_items):
        todo.put(i)
    bar = tqdm(total=n_items, desc=desc, unit="it", file=sys.stderr, leave=leave)
    bar_lock = threading.Lock()
    lock = failures_lock or bar_lock

    def worker() -> None:
        client = Client(port, timeout)
        try:
            while time.monotonic() < deadline:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                work(client, i)
                with bar_lock:
                    bar.update(1)
        except Exception as exc:  # a bug in the benchmark itself: report, do not hang
            with lock:
                failures.append(f"{desc} {crashed} crashed: {type(exc).__name__}: {exc}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.monotonic()) + timeout)
    elapsed = time.perf_counter() - start
    bar.close()
    left = 0
    while not todo.empty():
        todo.get_nowait()
        left += 1
    if left or any(t.is_alive() for t in threads):
        failures.append(f"{desc}: stopped at the --max-seconds deadline, {left} items not run")
    return elapsed


# --------------------------------------------------------------------------- figures


def pct(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def ms(seconds: float) -> str:
    """Seconds as milliseconds with one decimal."""
    return f"{seconds * 1000:.1f}"


def code_under_test(root: str | Path) -> str:
    """The checkout at `root` with its git commit and count of uncommitted or untracked files."""

    def git(*cmd: str) -> str:
        try:
            out = subprocess.run(
                ["git", "-C", str(root), *cmd], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"{root} (not a git checkout)"
    dirty = len(git("status", "--porcelain", "--untracked-files=all").splitlines())
    return f"{root} (git {commit}, {dirty} files uncommitted or untracked)"


def machine_lines() -> list[str]:
    """The `machine` and `python` lines of a summary."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"machine           nproc {cpus}, {platform.machine()}, {platform.platform()}",
        f"python            {platform.python_implementation()} {platform.python_version()}",
    ]
