"""`kepu demo`: load the demo data and print the demo users' credentials."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import get_db
from review.demo import load_demo
from review.exceptions import DomainError
from workflows import context, runner


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """加载中文示例数据（学会、各角色用户、不同状态的文章）并打印登录信息。"""
    ctx = current_app.extensions["kepu.jobs"]
    context.configure(ctx)
    try:
        # Jobs run in this process after each step (with Redis too: the demo's steps need
        # the pre-screens), so the demo shows assignments and results right away.
        result = load_demo(
            get_db(),
            progress=lambda msg: click.echo(f"  · {msg}"),
            after_step=lambda: runner.run_inline(ctx, limit=200),
        )
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo("示例数据已加载。" if result.created else "示例数据已存在，未重复加载。")
    click.echo("示例账号（邮箱 / 密码 / 角色 / API 令牌）：")
    for email, password, roles, token in result.credentials:
        click.echo(f"  {email:24} {password}  {roles:20} {token}")
