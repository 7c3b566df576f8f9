"""kepu-review web layer: the Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.routing import BaseConverter

from app import background, security
from app.api import api
from app.commands import register_commands
from app.config import Config
from app.errors import register_error_handlers
from app.extensions import limiter
from app.public import public
from review.db import Database
from review.models import MAX_ID


class IdConverter(BaseConverter):
    """Database ids in URLs: up to 10 digits; a value beyond 32 bits cannot exist, so it
    becomes the never-used id 0 and the view answers 404 (never a database overflow)."""

    regex = r"\d{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else 0

    def to_url(self, value: int) -> str:
        return str(int(value))


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def create_app(config: Config | None = None) -> Flask:
    """Build the app: config, database handle, blueprints, error handlers, CLI. Does no I/O."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["id"] = IdConverter
    config = config or Config()
    app.config.from_mapping(config.as_flask())
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if not app.config["DATABASE_URL"]:
        db_path = Path(app.instance_path) / "kepu.sqlite"
        app.config["DATABASE_URL"] = f"sqlite:///{db_path}"
    app.extensions["kepu.db"] = Database(app.config["DATABASE_URL"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # Redis down: do not fail logins
    limiter.init_app(app)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)  # it prints its own start-up notes

    security.init_app(app)
    background.init_app(app)
    register_error_handlers(app)
    app.register_blueprint(api)
    app.register_blueprint(public)
    register_commands(app)
    return app
