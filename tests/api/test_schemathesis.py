"""Schemathesis against the OpenAPI document, on SQLite and PostgreSQL: generated
requests (valid and invalid) to every operation, as a supervisor and as an admin, must
never produce a server error, and every response must match the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from api.app import create_app
from core.settings import Settings
from tests.api.conftest import FakeBridge

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

# The document does not depend on the database: read it once, from an app on a throw-away
# URL that is never connected to; each test then calls the app on its real store.
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(Settings(_env_file=None, database_url="sqlite://")))  # type: ignore[call-arg]


@pytest.fixture
def api_app(make_client):
    # A connected (stand-in) bridge, so pausing can succeed; its 503 is tested elsewhere.
    return make_client(bridge=FakeBridge()).app


@schema.parametrize()
@FAST
def test_as_a_supervisor(case, api_app, users):
    case.call_and_validate(app=api_app, headers=users.headers("supervisor"), checks=CHECKS)


@schema.parametrize()
@FAST
def test_as_an_admin(case, api_app, users):
    case.call_and_validate(app=api_app, headers=users.headers("admin"), checks=CHECKS)
