"""Bringing a database to the current schema with the project's one Alembic history."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    # Located, not imported: the migrations folder is data to Alembic.
    spec = importlib.util.find_spec("migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the 'migrations' folder is not installed with Hotline")
    config = Config()
    config.set_main_option("script_location", str(Path(list(spec.submodule_search_locations)[0])))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
