"""`kepu docs state-machine`: the review state machine as Markdown with a Mermaid diagram."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from review.states import TRANSITIONS, mermaid

docs_cli = AppGroup("docs", help="生成文档")


def state_machine_markdown() -> str:
    """Markdown page describing the transition table, generated from review.states."""
    rows = [
        f"| `{src.value}` | `{action.value}` | `{rule.to.value}` | "
        f"{rule.role.value if rule.role else '作者本人'} | "
        f"{', '.join(g.value for g in rule.guards) or '—'} | {'是' if rule.reason_required else '否'} |"
        for (src, action), rule in TRANSITIONS.items()
    ]
    return (
        "# 审核状态机\n\n"
        "本页由 `kepu docs state-machine > docs/state-machine.md` 从 `review/states.py` 生成，请勿手改。\n\n"
        "```mermaid\n" + mermaid() + "```\n\n"
        "| 当前状态 | 操作 | 下一状态 | 角色 | 守卫条件 | 需要原因 |\n"
        "| --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n\n"
        "守卫条件：`author_only` 仅作者本人；`not_author` 不能审核或发布自己的文章；"
        "`other_than_political` 科学性签署人不能是本轮政治性签署人；"
        "`enough_science_approvals` 达到所需专家批准数（默认 1，高风险 2）才进入终审。\n"
    )


@docs_cli.command("state-machine")
def state_machine() -> None:
    """打印审核状态机文档（Markdown + Mermaid）。"""
    click.echo(state_machine_markdown(), nl=False)
