"""A small, realistic Chinese demo: societies, one user per role, articles in several states."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from review.models import Society, User
from review.services import articles, comments, people
from review.services.people import Actor, actor_of

if TYPE_CHECKING:
    from review.db import Database

DEMO_PASSWORD = "kepu-demo-2026"

SOCIETIES = [
    ("hn-med", "湖南省医学会"),
    ("hn-agri", "湖南省农学会"),
    ("hn-env", "湖南省环境科学学会"),
    ("staff", "省科协科普部"),
]

USERS = [
    # key, email, name, roles, society, expertise
    ("writer", "writer@demo.kepu", "李科普", ["writer"], "hn-med", []),
    ("writer2", "writer2@demo.kepu", "周农夫", ["writer"], "hn-agri", []),
    ("political", "political@demo.kepu", "王审读", ["political_reviewer"], "staff", []),
    (
        "expert_med",
        "expert.med@demo.kepu",
        "陈医生",
        ["science_reviewer"],
        "hn-med",
        ["medicine_health", "health_hygiene", "food_safety"],
    ),
    (
        "expert_agri",
        "expert.agri@demo.kepu",
        "赵研究员",
        ["science_reviewer"],
        "hn-agri",
        ["agriculture_gmo", "food", "environment_climate"],
    ),
    ("editor", "editor@demo.kepu", "刘编辑", ["editor"], "staff", []),
    ("admin", "admin@demo.kepu", "系统管理员", ["admin"], "staff", []),
]

ARTICLES = [
    (
        "writer2",
        "转基因食品安全吗？——来自农学专家的解读",
        "<h2>什么是转基因</h2><p>转基因技术是将特定基因转入生物体，使其获得抗虫、抗旱等性状的技术。</p>"
        "<h2>安全性如何评价</h2><p>我国对转基因产品实行严格的安全评价制度，获批上市的转基因食品与传统食品同样安全。</p>"
        "<ul><li>世界卫生组织：目前上市的转基因食品未发现危害健康的证据</li><li>上市前须经过多年的食用安全与环境安全评价</li></ul>",
        ["农业", "转基因"],
        ["公众", "乡村"],
        "published",
    ),
    (
        "writer",
        "冬季流感高发，接种疫苗是最有效的预防手段",
        "<p>流感病毒每年都会发生变异，因此需要每年接种流感疫苗。</p><p>60 岁以上老人、慢性病患者、孕妇和儿童是重点接种人群。</p>"
        "<blockquote>接种疫苗后仍需注意勤洗手、戴口罩、保持通风。</blockquote>",
        ["疫苗", "健康"],
        ["公众", "社区", "学校"],
        "published",
    ),
    (
        "writer",
        "“隔夜菜致癌”是真的吗？",
        "<p>网传“隔夜菜一律不能吃，吃了就会致癌”。事实上，亚硝酸盐含量与储存方式密切相关。</p>"
        "<p>剩菜及时冷藏、尽快食用并彻底加热，一般不会对健康造成危害。</p>",
        ["食品安全"],
        ["公众", "社区"],
        "final_review",
    ),
    (
        "writer2",
        "核污水排海对我国海产品的影响",
        "<p>日本福岛核污染水排海引发公众关注。监测数据显示，我国管辖海域海水放射性水平处于本底范围。</p>"
        "<p>消费者可关注官方发布的监测信息，不必恐慌性囤盐。</p>",
        ["核辐射", "食品安全"],
        ["公众"],
        "science_review",
    ),
    (
        "writer",
        "手机辐射会导致脑瘤吗？",
        "<p>手机发射的是非电离辐射，能量远低于可破坏 DNA 的水平。</p><p>目前大规模流行病学研究未证实手机使用与脑瘤之间存在因果关系。</p>",
        ["通信", "健康"],
        ["学校", "公众"],
        "political_review",
    ),
    (
        "writer2",
        "秸秆还田与乡村振兴",
        "<p>秸秆还田可以增加土壤有机质，减少焚烧造成的空气污染。</p><p>专家建议：粉碎还田后配合深翻，效果更好。</p>",
        ["乡村振兴", "农业"],
        ["乡村"],
        "changes_requested",
    ),
    (
        "writer",
        "喝碱性水可以治疗癌症？",
        "<p>有说法称喝碱性水能改变体质酸碱度、治疗癌症。人体血液 pH 由肺和肾精密调节，饮水无法改变。</p>",
        ["健康", "辟谣"],
        ["公众"],
        "draft",
    ),
    (
        "writer2",
        "吃维生素 C 能预防一切感冒",
        "<p>维生素 C 是必需营养素，但现有证据表明常规补充并不能预防普通感冒。</p>",
        ["健康"],
        ["公众"],
        "rejected",
    ),
]


@dataclass
class DemoResult:
    created: bool
    credentials: list[tuple[str, str, str, str]]  # email, password, roles, token


def _ensure_users(db: Database) -> tuple[bool, dict[str, Actor]]:
    with db.read() as s:
        existing = {
            u.email: u for u in s.scalars(select(User).where(User.email.like("%@demo.kepu")))
        }
        codes = set(s.scalars(select(Society.code)))
        actors = {key: actor_of(existing[email]) for key, email, *_ in USERS if email in existing}
    if len(actors) == len(USERS):
        return False, actors
    for code, name in SOCIETIES:
        if code not in codes:
            people.create_society(db, code=code, name=name)
    for key, email, name, roles, society, expertise in USERS:
        if key not in actors:
            user, _ = people.create_user(
                db,
                email=email,
                name=name,
                roles=roles,
                society_code=society,
                password=DEMO_PASSWORD,
                expertise=expertise,
            )
            actors[key] = people.get_actor(db, user.id)
    return True, actors


def load_demo(
    db: Database,
    progress: Callable[[str], None] = lambda _msg: None,
    after_step: Callable[[], object] = lambda: None,
) -> DemoResult:
    """Load the demo once; later calls only issue fresh tokens for the demo users.
    `after_step` runs after every action, as the web app runs background jobs after a request
    (pre-screens decide how many experts must approve)."""
    created, who = _ensure_users(db)
    if created:
        for author, title, html, topics, audiences, target in ARTICLES:
            progress(f"示例文章：{title}（{target}）")
            _walk(db, who, author, title, html, topics, audiences, target, after_step)
    credentials = []
    for key, email, _name, roles, *_ in USERS:
        token = people.login(db, email=email, password=DEMO_PASSWORD, token_name="demo")
        credentials.append((email, DEMO_PASSWORD, ",".join(roles), token))
        del key
    return DemoResult(created=created, credentials=credentials)


def _walk(db, who, author, title, html, topics, audiences, target, after_step) -> None:  # type: ignore[no-untyped-def]
    writer = who[author]
    article_id = articles.create_article(
        db, writer, title=title, body_html=html, topics=topics, audiences=audiences
    )
    version = 1

    def act(actor_key: str, action: str, **kw: str) -> None:
        nonlocal version
        articles.perform(db, who[actor_key], article_id, action, version=version, **kw)
        after_step()
        version += 1

    if target == "draft":
        return
    act(author, "submit")
    if target == "political_review":
        return
    if target == "changes_requested":
        comments.add_comment(
            db,
            who["political"],
            article_id,
            revision_id=_revision(db, writer, article_id),
            text="请补充秸秆还田推广面积等数据的来源。",
            start=0,
            end=10,
        )
        act(
            "political",
            "request_changes",
            reason_code="missing_sources",
            reason="文中数据缺少权威来源，请补充后重新提交。",
        )
        return
    act("political", "approve")
    expert = "expert_agri" if author == "writer2" else "expert_med"
    if target == "science_review":
        return
    if target == "rejected":
        act(
            expert,
            "reject",
            reason_code="factual_error",
            reason="标题与正文结论相矛盾，且说法绝对化。",
        )
        return
    act(expert, "approve")
    if target == "final_review":
        return
    act("editor", "publish")


def _revision(db: Database, actor: Actor, article_id: int) -> int:
    from review.services.queries import get_article

    view = get_article(db, actor, article_id)
    return view["revision"]["id"]
