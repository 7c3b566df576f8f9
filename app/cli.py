"""The `kepu` console command: a Flask CLI group (`kepu run`, `kepu shell`, `kepu db upgrade` ...)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from app import create_app


def main() -> None:
    """Entry point of the `kepu` command."""
    FlaskGroup(create_app=create_app, help="科普审核与辟谣服务 kepu-review 命令行").main()
