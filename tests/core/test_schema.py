"""The one Alembic history creates exactly the tables the models describe."""

from __future__ import annotations

from alembic import command

from core.schema import alembic_config


def test_migrations_match_the_models(database):
    command.check(alembic_config(database.url))  # raises if autogenerate would find a difference
