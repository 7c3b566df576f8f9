"""`kepu db upgrade|current`: schema migrations through Alembic."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from review import schema

db_cli = AppGroup("db", help="数据库结构迁移（Alembic）")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="目标迁移版本")
def upgrade(revision: str) -> None:
    """把数据库结构升级到最新（或指定）版本。"""
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        schema.upgrade(url, revision)
    except Exception as exc:  # noqa: BLE001 - show a clear message, not a traceback
        raise click.ClickException(f"数据库迁移失败：{exc}") from exc
    click.echo(f"数据库已升级到 {schema.current_revision(url)}（{_safe(url)}）")


@db_cli.command("current")
def current() -> None:
    """显示数据库当前的迁移版本。"""
    url = current_app.config["DATABASE_URL"]
    click.echo(
        f"当前：{schema.current_revision(url) or '（空数据库）'}；最新：{schema.head_revision()}"
    )


def _safe(url: str) -> str:
    """The URL without a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
