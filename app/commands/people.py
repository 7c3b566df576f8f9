"""`kepu users create` and `kepu societies create`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.extensions import get_db
from review.exceptions import DomainError
from review.services import people
from review.states import Role

users_cli = AppGroup("users", help="用户管理")
societies_cli = AppGroup("societies", help="学会管理")


@users_cli.command("create")
@click.option("--email", required=True, help="登录邮箱")
@click.option("--name", required=True, help="姓名")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="角色，可重复",
)
@click.option("--society", default=None, help="所属学会代码（协会工作人员可不填）")
@click.option("--expertise", multiple=True, help="专家擅长的主题代码，可重复")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码")
def create_user(
    email: str,
    name: str,
    roles: tuple[str, ...],
    society: str | None,
    expertise: tuple[str, ...],
    password_stdin: bool,
) -> None:
    """创建用户；最后一行输出新的 API 令牌（只显示一次）。"""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("标准输入中没有密码")
    try:
        user, token = people.create_user(
            get_db(),
            email=email,
            name=name,
            roles=list(roles),
            society_code=society,
            password=password,
            expertise=list(expertise),
        )
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"已创建用户 #{user.id} {user.name} <{user.email}>，角色：{', '.join(sorted(roles))}"
    )
    click.echo(token)


@societies_cli.command("create")
@click.option("--code", required=True, help="学会代码，如 cast-med")
@click.option("--name", required=True, help="学会名称")
def create_society(code: str, name: str) -> None:
    """登记一个学会。"""
    try:
        society = people.create_society(get_db(), code=code, name=name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"已登记学会 {society.code}：{society.name}")
