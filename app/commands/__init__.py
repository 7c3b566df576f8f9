"""CLI command groups, registered on the app by `register_commands`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.commands import db, demo, docs, jobs, people, prescreen

if TYPE_CHECKING:
    from flask import Flask


def register_commands(app: Flask) -> None:
    app.cli.add_command(db.db_cli)
    app.cli.add_command(people.users_cli)
    app.cli.add_command(people.societies_cli)
    app.cli.add_command(demo.demo_command)
    app.cli.add_command(docs.docs_cli)
    app.cli.add_command(jobs.jobs_cli)
    app.cli.add_command(jobs.worker_command)
    app.cli.add_command(jobs.dispatcher_command)
    app.cli.add_command(prescreen.prescreen_cli)
