"""Fixtures shared by every test package.

``db`` runs a test once on SQLite and once on PostgreSQL (a throw-away database on the
server at ``HOTLINE_TEST_POSTGRES_URL``, default 127.0.0.1:5432 with trust auth).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

import ami_bridge.models  # noqa: F401  (tables on Base.metadata)
import core.models  # noqa: F401  (users, credentials, audit log)
import ivr.models  # noqa: F401
from core.db import Base, make_engine, make_sessionmaker
from core.schema import upgrade

DATA = Path(__file__).parent / "data"
POSTGRES_ADMIN_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class Database:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def kind(self) -> str:
        return self.engine.dialect.name


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'hotline.db'}"
        upgrade(url)
        engine = make_engine(url)
        yield Database(url, engine, make_sessionmaker(engine))
        engine.dispose()
        return
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    engine = make_engine(url)
    try:
        yield Database(url, engine, make_sessionmaker(engine))
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    """The database, emptied before the test."""
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return database
