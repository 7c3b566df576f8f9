"""Benchmark: background jobs -- submit latency with and without Redis, submit -> pre-screen.

Not a test: it prints figures. Four phases, each on a fresh database (a SQLite file in a temp
dir, or a throwaway ``kepu_bench_<random>`` database on the PostgreSQL server given by
``--database-url``, dropped at the end) with the same generated article texts:

1. ``embedded``: no Redis; the jobs a submit records (pre-screen, reviewer assignment,
   notification) run inline in the web process before the response is returned;
2. ``redis``: with Redis and no worker: a submit writes outbox rows and hands them to RQ;
3. ``workers1`` / ``workers2``: with Redis and 1 or 2 ``kepu worker`` processes (each with its
   outbox dispatcher) started as subprocesses on a private queue.

In each phase the app (``create_app``) is served over HTTP on 127.0.0.1 by a threaded werkzeug
server in this process; users are made with ``review.services.people.create_user``; the drafts
(realistic Chinese articles of ~1,000-3,000 characters, some rumor-like, some credible) are
created over HTTP before timing; then every draft is submitted over HTTP
(``POST /api/v1/articles/<id>/actions/submit``, keep-alive ``http.client``, ``--concurrency``
threads). Reported: (a) submit latency p50/p99 per phase; (b) end-to-end time from the first
submit to the last stored pre-screen (``prescreens`` table; its ``created_at`` is written by the
job), throughput, and per-article submit -> stored latency p50/p99.

    .venv/bin/python bench/bench_jobs.py
    .venv/bin/python bench/bench_jobs.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Exits 1 if any submission failed or any pre-screen was not stored within ``--e2e-timeout``;
2 if Redis is unreachable.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from _common import (
    API,
    MAX_FAILURES_SHOWN,
    Backend,
    Client,
    Result,
    ThreadServer,
    code_under_test,
    fresh_database,
    machine_lines,
    make_users,
    ms,
    pct,
    pg_admin,
    run_threads,
)
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine, make_url
from tqdm import tqdm

from app import create_app
from app.config import Config
from review.db import Database
from review.models import OutboxMessage, Prescreen, Revision

ROOT = Path(__file__).resolve().parents[1]
KEPU = Path(sys.executable).parent / "kepu"
POLL_SECONDS = 0.2
USERS = {"writer": 8, "political_reviewer": 4, "science_reviewer": 4, "editor": 2}
PHASES = ("embedded", "redis", "workers1", "workers2")

log = logging.getLogger("bench")


# --------------------------------------------------------------------------- article texts

# Each subject fills the templates: the claim a rumor makes and what the evidence says.
SUBJECTS: list[dict[str, str]] = [
    {
        "thing": "隔夜茶",
        "harm": "会致癌",
        "fact": "正常存放 24 小时的茶水中亚硝酸盐含量不到 0.1 毫克每升",
        "mechanism": "茶水中的亚硝酸盐主要来自细菌分解，而低温密封保存时细菌繁殖很慢",
        "advice": "把泡好的茶放进冰箱冷藏并在一天内喝完",
        "act": "喝隔夜茶",
        "remedy": "空腹喝一大碗浓茶",
        "disease": "脂肪肝",
        "org": "中国疾病预防控制中心营养与健康所",
    },
    {
        "thing": "新冠疫苗",
        "harm": "会导致白血病",
        "fact": "接种人群的白血病发病率与未接种人群没有统计学差异",
        "mechanism": "疫苗成分在体内数周内即被代谢，不会改变人体细胞的遗传物质",
        "advice": "按照接种程序完成接种，接种后留观 30 分钟",
        "act": "打加强针",
        "remedy": "用盐水泡脚排出疫苗毒素",
        "disease": "免疫力低下",
        "org": "国家药品监督管理局药品评价中心",
    },
    {
        "thing": "微波炉加热的食物",
        "harm": "会产生辐射致癌",
        "fact": "微波加热后食物中不残留任何放射性物质",
        "mechanism": "微波只是让食物中的水分子振动发热，属于非电离辐射，关掉电源后即消失",
        "advice": "使用标明可微波加热的容器，避免加热密封的鸡蛋和罐头",
        "act": "用微波炉热饭",
        "remedy": "吃一把生绿豆",
        "disease": "辐射病",
        "org": "中国计量科学研究院",
    },
    {
        "thing": "转基因大豆油",
        "harm": "会导致不孕不育",
        "fact": "经过二十多年的动物实验和人群观察，没有发现生殖毒性",
        "mechanism": "食用油经过精炼后几乎不含蛋白质和 DNA，转入的基因片段在消化道中被分解",
        "advice": "根据口味和预算选择合格产品，注意控制每天的用油总量",
        "act": "吃转基因食品",
        "remedy": "喝自制的黑豆醋",
        "disease": "不孕症",
        "org": "农业农村部科技发展中心",
    },
    {
        "thing": "手机信号基站",
        "harm": "会让周围居民得癌症",
        "fact": "居民区基站周边的电磁辐射强度仅为国家限值的百分之一左右",
        "mechanism": "基站发射的是低能量的射频电磁波，不足以破坏化学键或损伤 DNA",
        "advice": "以生态环境部门公布的监测数据为准，对有疑问的点位申请检测",
        "act": "住在基站附近",
        "remedy": "在家里摆满仙人掌吸收辐射",
        "disease": "头痛失眠",
        "org": "生态环境部辐射环境监测技术中心",
    },
    {
        "thing": "核电站附近的海鲜",
        "harm": "全部被核污染了",
        "fact": "沿海监测站的海产品放射性核素含量均在天然本底水平范围内",
        "mechanism": "核电站正常运行时的排放受到严格限制，并且被海水大量稀释",
        "advice": "购买来源可追溯的水产品，关注官方发布的海洋环境监测公报",
        "act": "吃沿海的海鲜",
        "remedy": "用碘盐冲服海带汤",
        "disease": "甲状腺癌",
        "org": "国家核安全局",
    },
    {
        "thing": "儿童退烧药",
        "harm": "吃多了会烧坏脑子",
        "fact": "按说明书剂量使用布洛芬或对乙酰氨基酚，严重不良反应非常罕见",
        "mechanism": "发热本身一般不会损伤大脑，退热药的作用是缓解不适，而不是治疗病因",
        "advice": "体温超过 38.5 摄氏度或孩子明显不适时按体重给药，两次用药间隔至少四到六小时",
        "act": "给孩子吃退烧药",
        "remedy": "用白酒给孩子擦身",
        "disease": "高烧惊厥",
        "org": "国家儿童医学中心",
    },
    {
        "thing": "农村自来水",
        "harm": "含有大量重金属",
        "fact": "抽检的饮用水样品重金属指标合格率超过百分之九十九",
        "mechanism": "集中供水工程需要经过混凝、沉淀、过滤和消毒等工艺，并定期送检",
        "advice": "关注当地水务部门公布的水质信息，家庭储水容器定期清洗",
        "act": "喝自来水",
        "remedy": "把水烧开三遍再喝",
        "disease": "结石",
        "org": "水利部农村水利水电司",
    },
    {
        "thing": "地震云",
        "harm": "能准确预报地震",
        "fact": "对照历史资料，所谓地震云出现后发生地震的比例与随机情况没有区别",
        "mechanism": "云的形态由大气运动决定，与地壳深处的应力变化没有已知的物理联系",
        "advice": "以中国地震台网发布的信息为准，平时学习避险自救知识",
        "act": "看到怪云就往外跑",
        "remedy": "在门口挂镜子辟邪",
        "disease": "心慌",
        "org": "中国地震局地球物理研究所",
    },
    {
        "thing": "碳达峰政策",
        "harm": "会让家家户户拉闸限电",
        "fact": "近年来全国发电装机容量持续增长，居民用电保障率保持在很高水平",
        "mechanism": "能源转型是按照先立后破的原则有序推进，新能源装机增加的同时保留调峰电源",
        "advice": "关注电网公司发布的通知，合理安排高耗电家电的使用时段",
        "act": "相信限电传言囤积蜡烛",
        "remedy": "家里常备柴油发电机",
        "disease": "焦虑",
        "org": "国家能源局",
    },
]

PLACES = ("某市", "某县", "南方某地", "北方一座小城", "某小区", "一所中学")
PEOPLE = ("六十岁的老人", "年轻妈妈", "上班族", "初中生", "退休教师", "外卖小哥")
COUNTRIES = ("日本", "美国", "欧洲很多国家", "德国", "韩国")

RUMOR = (
    "紧急扩散！{thing}{harm}，内部人士透露这个消息已经被证实了，医生都不敢说，"
    "赶紧转发给家人朋友，看到的人请马上告诉身边的人！",
    "千万不要再{act}了！据说{country}早就禁止了，{thing}里含有大量致癌物质，"
    "一吃就出事，百分之百是真的，不信你就等着后悔吧。",
    "专家不会告诉你的秘方：每天坚持{remedy}，{disease}三个月彻底治愈，"
    "比吃药管用一百倍，药厂都怕这个方子流传出去，所以一直封锁消息。",
    "震惊！{place}一名{person}因为长期{act}，结果住进了重症监护室，"
    "医院已经发出紧急警告，{thing}{harm}，这次是真的，速转！",
    "内部消息：{thing}的真相被隐瞒了很多年，国外的研究早就证明{thing}{harm}，"
    "只是国内媒体不敢报道。为了家人的健康，转发就是功德无量。",
    "朋友圈都在传：{thing}{harm}，{place}已经有好几个人出事了。"
    "有人说这是谣言，可是无风不起浪，宁可信其有不可信其无，赶快删除收藏转给父母看！",
    "一位不愿透露姓名的老中医说，{disease}其实根本不用治，只要{remedy}就能根治，"
    "西医都是骗钱的，千万别被医院坑了，这个方法绝对管用。",
)

CREDIBLE = (
    "关于“{thing}{harm}”的说法，{org}在 {year} 年发布的研究报告中做过系统评估。"
    "研究人员采集了 {n} 份样本，检测结果显示{fact}，远低于国家标准规定的限量。",
    "从科学原理上看，{mechanism}。因此，只要{advice}，普通公众不必过度担心，"
    "也没有必要因为网络上的传言而改变正常的生活习惯。",
    "需要强调的是，任何结论都离不开剂量和条件。世界卫生组织和国家卫生健康委员会的相关指南"
    "都建议{advice}；如果出现持续不适，应当及时到正规医疗机构就诊，遵医嘱处理。",
    "记者采访了{org}的一位研究员。他表示，网上流传的说法大多断章取义，把实验室条件下的"
    "高剂量结果直接套用到日常生活中，这在方法上是不成立的；目前的证据显示{fact}。",
    "遇到类似信息时，公众可以通过官方渠道核实，例如查阅{org}网站、国家卫生健康委员会"
    "发布的科普资料，或者咨询专业人员，不要轻信来源不明、情绪激烈的转发内容。",
    "回顾相关研究可以发现，{year} 年以来国内外发表的同行评议论文已超过 {n} 篇。"
    "这些研究采用了随机对照、队列观察等不同方法，结论基本一致：{fact}。",
    "当然，科学认识也在不断发展。研究人员表示，今后还将持续开展监测，"
    "并及时向社会公开数据。在此之前，最稳妥的做法仍然是{advice}。",
    "这类传言之所以流传甚广，一方面是因为它利用了人们对健康的关切，另一方面是因为"
    "{mechanism}这样的专业知识不容易用一句话讲清楚。科普工作者需要用更通俗的方式解释证据。",
)

TITLES_RUMOR = ("速看！{thing}{harm}，很多人还不知道", "{thing}{harm}？赶紧告诉家里人")
TITLES_CREDIBLE = ("{thing}{harm}吗？专家用数据说话", "辟谣：{thing}{harm}的说法没有科学依据")


@dataclass
class ArticleText:
    title: str
    body_html: str
    chars: int  # plain-text characters of title + body
    rumor_like: bool


def _fill(template: str, subject: dict[str, str], rng: random.Random) -> str:
    return template.format(
        **subject,
        place=rng.choice(PLACES),
        person=rng.choice(PEOPLE),
        country=rng.choice(COUNTRIES),
        year=rng.randint(2015, 2024),
        n=rng.randint(120, 3600),
    )


def make_texts(count: int, seed: int, rumor_share: float) -> list[ArticleText]:
    """Articles of 1,000-3,000 characters: rumor-like ones (mostly rumor paragraphs, a little
    rebuttal) and credible ones (mostly evidence paragraphs, quoting the rumor once)."""
    rng = random.Random(seed)
    texts = []
    for i in range(count):
        subject = SUBJECTS[rng.randrange(len(SUBJECTS))]
        rumor_like = rng.random() < rumor_share
        target = rng.randint(1000, 3000)
        title = _fill(rng.choice(TITLES_RUMOR if rumor_like else TITLES_CREDIBLE), subject, rng)
        title = f"{title}（第 {i + 1} 篇）"
        paragraphs: list[str] = []
        used: set[str] = set()
        length = len(title)
        while length < target:
            main, other = (RUMOR, CREDIBLE) if rumor_like else (CREDIBLE, RUMOR)
            pool = main if rng.random() < 0.8 else other
            fresh = [t for t in pool if t not in used] or list(pool)
            template = rng.choice(fresh)
            used.add(template)
            para = _fill(template, subject, rng)
            if length + len(para) > 3000 and length >= 1000:
                break
            paragraphs.append(para)
            length += len(para)
        heading = "网友转发" if rumor_like else "核查结论"
        body = f"<h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs)
        texts.append(ArticleText(title, body, len(heading) + length, rumor_like))
    return texts


# --------------------------------------------------------------------------- users


def expertise(role: str, n: int) -> list[str] | None:
    """Topics of the n-th science reviewer (alternating); none for other roles."""
    topics = [["medicine_health", "food_safety"], ["energy_nuclear", "environment_climate"]]
    return topics[n % 2] if role == "science_reviewer" else None


# --------------------------------------------------------------------------- workers & Redis


class Workers:
    """`kepu worker` subprocesses on the phase's database and private queue."""

    def __init__(self, env: dict[str, str], log_dir: Path, label: str) -> None:
        self.env, self.log_dir, self.label = env, log_dir, label
        self.procs: list[subprocess.Popen[bytes]] = []
        self.files: list[Any] = []
        self.names: list[str] = []

    def start(self, count: int) -> None:
        for n in range(count):
            path = self.log_dir / f"{self.label}-worker{n}.log"
            f = open(path, "wb")  # noqa: SIM115 - closed in stop_all
            self.files.append(f)
            self.procs.append(
                subprocess.Popen(
                    [str(KEPU), "worker"],
                    env=self.env,
                    stdout=f,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    cwd=ROOT,
                )
            )

    def wait_ready(self, conn: Redis, queue_name: str, timeout: float) -> None:
        """Until every worker is registered on the queue (the model is loaded before that)."""
        from rq import Queue, Worker

        q = Queue(queue_name, connection=conn)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"worker pid {p.pid} exited with {p.returncode}")
            workers = Worker.all(connection=conn, queue=q)
            if len(workers) >= len(self.procs):
                self.names = [w.name for w in workers]
                return
            time.sleep(POLL_SECONDS)
        raise RuntimeError(f"{len(self.procs)} workers not registered after {timeout:.0f} s")

    def stop_all(self, grace: float = 20.0) -> None:
        for p in self.procs:
            if p.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"worker pid {p.pid} ignored SIGTERM; SIGKILL", file=sys.stderr)
                with suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    print(f"worker pid {p.pid} still alive after SIGKILL", file=sys.stderr)
        for f in self.files:
            f.close()
        self.files = []

    def log_tails(self, chars: int = 2500) -> str:
        out = []
        for path in sorted(self.log_dir.glob(f"{self.label}-worker*.log")):
            out.append(f"--- {path}\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(out)


def clean_redis(conn: Redis, queue_name: str, worker_names: list[str]) -> int:
    """Delete every key of this run's queue (queue, registries, jobs, results, executions:
    RQ job ids start with the queue name) and leftover worker keys; returns keys deleted."""
    deleted = 0
    for key in conn.scan_iter(match=f"*{queue_name}*", count=1000):
        deleted += int(conn.delete(key))
    conn.srem("rq:queues", f"rq:queue:{queue_name}")
    for name in worker_names:
        deleted += int(conn.delete(f"rq:worker:{name}"))
        conn.srem("rq:workers", f"rq:worker:{name}")
    return deleted


# --------------------------------------------------------------------------- phases


@dataclass
class PhaseResult:
    label: str
    description: str
    workers: int
    submits: list[Result] = field(default_factory=list)
    submit_seconds: float = 0.0
    e2e: list[float] = field(default_factory=list)  # seconds, submit sent -> pre-screen stored
    wall: float = float("nan")  # first submit sent -> last pre-screen stored
    all_jobs_wall: float = float("nan")  # first submit sent -> last outbox job finished
    stored: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    rq_queued: int | None = None
    view_checked: int = 0
    redis_keys_deleted: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _epoch(dt: datetime) -> float:
    return dt.timestamp()


def _stored_times(engine: Engine) -> dict[int, float]:
    """article id -> when its pre-screen row was written (epoch seconds)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Revision.article_id, Prescreen.created_at).join(
                Revision, Revision.id == Prescreen.revision_id
            )
        ).all()
    # UTCDateTime puts tzinfo back on SQLite values; naive ones are UTC in any case.
    out = {}
    for article_id, created in rows:
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        out[article_id] = _epoch(created)
    return out


def _outbox_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return {status: n for status, n in rows}


def _failed_prescreens(engine: Engine) -> int:
    with engine.connect() as conn:
        return (
            conn.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.job == "prescreen_revision", OutboxMessage.status == "failed")
            )
            or 0
        )


def _last_finished(engine: Engine) -> float | None:
    with engine.connect() as conn:
        value = conn.scalar(
            select(func.max(OutboxMessage.finished_at)).where(
                OutboxMessage.job != "check_deadlines"
            )
        )
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _epoch(value)


def _open_jobs(engine: Engine) -> int:
    with engine.connect() as conn:
        return (
            conn.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status.in_(["pending", "dispatched", "running"]),
                    OutboxMessage.job != "check_deadlines",
                )
            )
            or 0
        )


def run_phase(
    args: argparse.Namespace,
    label: str,
    backend: Backend,
    texts: list[ArticleText],
    model: Path,
    tmp: Path,
    run_id: str,
    redis_conn: Redis | None,
) -> PhaseResult:
    n_workers = {"workers1": 1, "workers2": 2}.get(label, 0)
    use_redis = label != "embedded"
    queue_name = f"kepu-bench-{run_id}-{label}"
    description = {
        "embedded": "embedded (no Redis): jobs run inline in the request",
        "redis": "Redis, no worker: outbox rows written and handed to RQ",
        "workers1": "Redis + 1 kepu worker",
        "workers2": "Redis + 2 kepu workers",
    }[label]
    res = PhaseResult(label, description, n_workers)
    deadline = time.monotonic() + args.max_seconds
    app = create_app(
        Config(
            DATABASE_URL=backend.url,
            REDIS_URL=args.redis_url if use_redis else "",
            QUEUES=queue_name,
            PRESCREEN_MODEL=str(model),
        )
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    db: Database = app.extensions["kepu.db"]
    engine = create_engine(backend.url)
    server: ThreadServer | None = None
    workers = Workers(
        {
            **os.environ,
            "KEPU_DATABASE_URL": backend.url,
            "KEPU_REDIS_URL": args.redis_url,
            "KEPU_QUEUES": queue_name,
            "KEPU_PRESCREEN_MODEL": str(model),
            "PYTHONPATH": str(ROOT),
        },
        Path(args.log_dir) if args.log_dir else tmp,
        f"{run_id}-{label}",
    )
    try:
        cast = make_users(db, USERS, expertise)
        server = ThreadServer(app)
        server.start()

        # Drafts, before timing.
        drafts: list[tuple[int, int, str] | None] = [None] * len(texts)

        def create(client: Client, i: int) -> None:
            _, token = cast.pick("writer", i)
            t = texts[i]
            r = client.call(
                "POST",
                f"{API}/articles",
                token,
                {"title": t.title, "body_html": t.body_html, "topics": ["辟谣"]},
            )
            if r.status == 201 and isinstance(r.body, dict) and r.body.get("state") == "draft":
                drafts[i] = (r.body["id"], r.body["version"], token)
            else:
                detail = r.error or json.dumps(r.body, ensure_ascii=False)[:300]
                res.failures.append(f"create draft #{i}: HTTP {r.status} {detail}")

        run_threads(
            len(texts),
            args.concurrency,
            server.port,
            args.timeout,
            deadline,
            create,
            f"[{label}] drafts",
            res.failures,
            leave=False,
        )
        if res.failures:
            return res

        if n_workers:
            assert redis_conn is not None
            workers.start(n_workers)
            workers.wait_ready(redis_conn, queue_name, args.worker_start_timeout)

        # (a) submit latency.
        submits: list[Result | None] = [None] * len(texts)
        lock = threading.Lock()

        def submit(client: Client, i: int) -> None:
            draft = drafts[i]
            assert draft is not None
            article_id, version, token = draft
            r = client.call(
                "POST",
                f"{API}/articles/{article_id}/actions/submit",
                token,
                {"version": version},
            )
            submits[i] = r
            ok = (
                r.status == 200
                and isinstance(r.body, dict)
                and r.body.get("state") == "political_review"
            )
            if not ok:
                detail = r.error or json.dumps(r.body, ensure_ascii=False)[:300]
                with lock:
                    res.failures.append(f"submit article {article_id}: HTTP {r.status} {detail}")

        res.submit_seconds = run_threads(
            len(texts),
            args.concurrency,
            server.port,
            args.timeout,
            deadline,
            submit,
            f"[{label}] submit",
            res.failures,
            leave=False,
        )
        res.submits = [r for r in submits if r is not None]
        sent = {
            drafts[i][0]: r.started  # type: ignore[index]
            for i, r in enumerate(submits)
            if r is not None and r.status == 200
        }
        first = min(sent.values()) if sent else float("nan")

        # (b) wait for the pre-screens (not in the no-worker Redis phase: nothing runs them).
        if label == "redis":
            res.outbox = _outbox_counts(engine)
            assert redis_conn is not None
            from rq import Queue

            res.rq_queued = Queue(queue_name, connection=redis_conn).count
            pending = res.outbox.get("pending", 0)
            if pending:
                res.notes.append(f"{pending} outbox rows still pending (not handed to RQ)")
        else:
            e2e_deadline = min(deadline, time.monotonic() + args.e2e_timeout)
            stored: dict[int, float] = {}
            failed = 0
            with tqdm(
                total=len(sent), desc=f"[{label}] pre-screens", file=sys.stderr, leave=False
            ) as bar:
                while time.monotonic() < e2e_deadline:
                    stored = _stored_times(engine)
                    bar.update(len(stored) - bar.n)
                    failed = _failed_prescreens(engine)
                    if len(stored) >= len(sent) or failed:
                        break
                    time.sleep(POLL_SECONDS)
            res.stored = len(stored)
            missing = [a for a in sent if a not in stored]
            if failed:
                res.failures.append(f"{failed} pre-screen jobs failed")
            if missing:
                res.failures.append(
                    f"{len(missing)} pre-screens not stored within {args.e2e_timeout:.0f} s "
                    f"(e.g. articles {missing[:5]})"
                )
            res.e2e = sorted(stored[a] - t for a, t in sent.items() if a in stored)
            if stored and not missing:
                res.wall = max(stored[a] for a in sent) - first
            # The other jobs of each submit (assignment, notification): until none is open.
            jobs_deadline = min(deadline, time.monotonic() + args.e2e_timeout)
            while time.monotonic() < jobs_deadline and _open_jobs(engine):
                time.sleep(POLL_SECONDS)
            if _open_jobs(engine):
                res.notes.append("some assignment/notification jobs still open at the timeout")
            else:
                last = _last_finished(engine)
                if last is not None:
                    res.all_jobs_wall = last - first
            res.outbox = _outbox_counts(engine)
            # The article view agrees with the table (a sample).
            ids = list(stored)
            random.Random(args.seed).shuffle(ids)
            client = Client(server.port, args.timeout)
            editor = cast.pick("editor", 0)[1]
            for article_id in ids[: args.view_checks]:
                r = client.call("GET", f"{API}/articles/{article_id}", editor)
                view = r.body.get("prescreen") if isinstance(r.body, dict) else None
                if r.status != 200 or not isinstance(view, dict) or view.get("status") != "done":
                    res.failures.append(f"GET article {article_id}: HTTP {r.status} {view!r}")
                res.view_checked += 1
            client.close()
        if res.failures and n_workers:
            print(workers.log_tails(), file=sys.stderr)
        return res
    finally:
        if server is not None:
            server.stop()
        workers.stop_all()
        if redis_conn is not None and use_redis:
            try:
                res.redis_keys_deleted = clean_redis(redis_conn, queue_name, workers.names)
            except RedisError as exc:
                res.notes.append(f"could not clean Redis queue {queue_name}: {exc}")
        engine.dispose()
        db.dispose()


# --------------------------------------------------------------------------- figures


def summary(
    args: argparse.Namespace,
    results: list[PhaseResult],
    texts: list[ArticleText],
    db_version: str,
    redis_version: str,
    model_version: str,
) -> str:
    from importlib.metadata import version

    chars = sorted(t.chars for t in texts)
    rumor = sum(t.rumor_like for t in texts)
    lines = [
        "",
        "=" * 96,
        "kepu-review background-jobs benchmark",
        "=" * 96,
        f"database          {db_version}, a fresh database per phase",
        f"redis             Redis {redis_version} at {args.redis_url}, rq {version('rq')}, "
        "a private queue per phase (deleted after)",
        f"code              {args.code_at_start} at the start",
        f"server            werkzeug {version('werkzeug')} ThreadedWSGIServer in this process, "
        "127.0.0.1",
        f"clients           http.client keep-alive, {args.concurrency} threads",
        f"articles          {len(texts)} per phase, same texts in every phase: {rumor} rumor-like, "
        f"{len(texts) - rumor} credible; {chars[0]}-{chars[-1]} chars (median "
        f"{chars[len(chars) // 2]})",
        f"pre-screener      {model_version} (built once, KEPU_PRESCREEN_MODEL)",
        "jobs per submit   prescreen_revision + assign_reviewers (political) + notify_transition",
        "",
        f"(a) submit latency, POST {API}/articles/<id>/actions/submit (ms)",
        f"    {'phase':<56} {'n':>4} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'req/s':>7}",
    ]
    for r in results:
        lat = sorted(x.seconds for x in r.submits if x.status == 200)
        rate = len(lat) / r.submit_seconds if r.submit_seconds else float("nan")
        lines.append(
            f"    {r.description:<56} {len(lat):>4} {ms(pct(lat, 50)):>8} {ms(pct(lat, 90)):>8} "
            f"{ms(pct(lat, 99)):>8} {ms(lat[-1] if lat else float('nan')):>8} {rate:>7.1f}"
        )
    lines += [
        "",
        f"(b) submit -> pre-screen stored, {len(texts)} submissions (s; latency per article from "
        "sending its submit to its prescreens row)",
        f"    {'phase':<44} {'stored':>6} {'submits':>8} {'wall':>8} {'/s':>6} "
        f"{'p50':>7} {'p99':>7} {'max':>7} {'all jobs':>9}",
    ]
    for r in results:
        if r.label == "redis":
            continue
        through = r.stored / r.wall if r.wall == r.wall and r.wall > 0 else float("nan")
        e = r.e2e
        lines.append(
            f"    {r.description:<44} {r.stored:>6} {r.submit_seconds:>8.2f} {r.wall:>8.2f} "
            f"{through:>6.1f} {pct(e, 50):>7.2f} {pct(e, 99):>7.2f} "
            f"{(e[-1] if e else float('nan')):>7.2f} {r.all_jobs_wall:>9.2f}"
        )
    lines += [
        "    submits: time to send all submits; wall: first submit sent -> last pre-screen stored;",
        "    /s: pre-screens stored per second over wall; all jobs: first submit -> last "
        "assignment/notification/pre-screen job finished",
        "",
        "outbox and checks",
    ]
    for r in results:
        box = ", ".join(f"{k} {v}" for k, v in sorted(r.outbox.items())) or "-"
        extra = f"; RQ queue length {r.rq_queued}" if r.rq_queued is not None else ""
        extra += f"; {r.view_checked} article views show prescreen done" if r.view_checked else ""
        extra += f"; {r.redis_keys_deleted} Redis keys deleted" if r.label != "embedded" else ""
        lines.append(f"    {r.label:<9} outbox: {box}{extra}")
        lines += [f"              note: {n}" for n in r.notes]
    failures = [f for r in results for f in r.failures]
    lines += [
        f"failures          {len(failures)}",
        *machine_lines(),
        "=" * 96,
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL server URL (a throwaway database per phase is created on it and "
        "dropped); default: fresh SQLite files in a temp dir",
    )
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--submissions", type=int, default=500, help="articles submitted per phase")
    p.add_argument("--concurrency", type=int, default=4, help="client threads")
    p.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)}",
    )
    p.add_argument("--rumor-share", type=float, default=0.4, help="share of rumor-like articles")
    p.add_argument("--timeout", type=float, default=60.0, help="socket timeout per request (s)")
    p.add_argument(
        "--e2e-timeout", type=float, default=1800.0, help="wait this long for the pre-screens (s)"
    )
    p.add_argument("--worker-start-timeout", type=float, default=60.0)
    p.add_argument("--view-checks", type=int, default=20, help="article views checked per phase")
    p.add_argument("--max-seconds", type=float, default=3600.0, help="per phase")
    p.add_argument("--seed", type=int, default=1, help="random seed (article texts)")
    p.add_argument(
        "--log-dir", default="", help="keep the workers' logs here (default: a temp dir, removed)"
    )
    args = p.parse_args(argv)
    if args.submissions < 1 or args.concurrency < 1:
        p.error("--submissions and --concurrency must be >= 1")
    phases = [x.strip() for x in args.phases.split(",") if x.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown or not phases:
        p.error(f"unknown phases {sorted(unknown)}; choose from {','.join(PHASES)}")
    args.phase_list = [x for x in PHASES if x in phases]
    if args.database_url and make_url(args.database_url).get_backend_name() == "sqlite":
        p.error("for SQLite leave --database-url out: fresh files are made in a temp dir")
    return args


def _db_version(url: str) -> str:
    if not url:
        return f"SQLite {sqlite3.sqlite_version} (sqlite)"
    with psycopg.connect(pg_admin(url), connect_timeout=10) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return f"PostgreSQL {version} (postgresql)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for name in ("alembic", "jieba"):
        logging.getLogger(name).setLevel(logging.WARNING)
    needs_redis = any(p != "embedded" for p in args.phase_list)
    redis_conn: Redis | None = None
    redis_version = "-"
    if needs_redis:
        redis_conn = Redis.from_url(args.redis_url, socket_connect_timeout=2, socket_timeout=10)
        try:
            redis_version = str(redis_conn.info("server")["redis_version"])
        except RedisError as exc:
            print(f"Redis at {args.redis_url} unreachable: {exc}", file=sys.stderr)
            return 2
    if args.log_dir:
        Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    args.code_at_start = code_under_test(ROOT)  # workers start later from the tree as it is then
    texts = make_texts(args.submissions, args.seed, args.rumor_share)
    run_id = uuid.uuid4().hex[:8]
    results: list[PhaseResult] = []
    with tempfile.TemporaryDirectory(prefix="kepu_bench_jobs_") as tmpdir:
        tmp = Path(tmpdir)
        from classifiers.prescreen import Prescreener, build_default

        model = build_default(tmp / "prescreen.joblib")
        model_version = Prescreener.load(model).version
        print(f"pre-screener {model_version} built to {model}", file=sys.stderr)
        try:
            for label in args.phase_list:
                with fresh_database(args.database_url, tmp, label) as backend:
                    t0 = time.monotonic()
                    result = run_phase(args, label, backend, texts, model, tmp, run_id, redis_conn)
                    results.append(result)
                    print(
                        f"[{label}] done in {time.monotonic() - t0:.1f} s, "
                        f"{len(result.failures)} failures",
                        file=sys.stderr,
                    )
                    if result.failures:
                        print(
                            f"\n[{label}] FAILURES (first {MAX_FAILURES_SHOWN}):", file=sys.stderr
                        )
                        for line in result.failures[:MAX_FAILURES_SHOWN]:
                            print(f"  {line}", file=sys.stderr)
        finally:
            if redis_conn is not None:
                redis_conn.close()
    print(
        summary(args, results, texts, _db_version(args.database_url), redis_version, model_version)
    )
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
