"""Every route × every role, read from the OpenAPI document: anonymous → 401, a role the
route does not declare → 403, a declared role → 2xx. A route that declares no roles
(``x-roles``) fails here, so no route can be added without saying who may use it."""

from __future__ import annotations

import pytest

from core.users import ROLES

#: Parameters that make each route succeed for a role that may use it.
OK_REQUESTS = {
    ("get", "/api/calls/{server_id}/{linkedid}"): {"path": {"server_id": "demo-ast20", "linkedid": "1795495540.130"}},  # Agent Li's call
    ("post", "/api/agents/pause"): {"json": {"interface": "SIP/1001", "paused": True, "reason": "coaching"}},
}


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_operation_declares_its_roles(make_client):
    schema = make_client().get("/api/openapi.json").json()
    undeclared = [f"{m.upper()} {p}" for m, p, op in operations(schema) if "x-roles" not in op]
    assert undeclared == []
    public = sorted(f"{m.upper()} {p}" for m, p, op in operations(schema) if op.get("x-public"))
    assert public == ["GET /healthz", "GET /metrics", "GET /readyz", "POST /api/tokens"]


def _request(client, method, path, headers, users_token_id):
    spec = OK_REQUESTS.get((method, path), {})
    url = path
    for name, value in spec.get("path", {}).items():
        url = url.replace("{" + name + "}", value)
    url = url.replace("{token_id}", str(users_token_id))
    return client.request(method.upper(), url, headers=headers, json=spec.get("json"))


def test_route_role_matrix(make_client, users):
    from tests.api.conftest import FakeBridge

    client = make_client(bridge=FakeBridge())
    schema = client.get("/api/openapi.json").json()
    checked = 0
    for method, path, operation in operations(schema):
        roles = operation["x-roles"]
        if operation.get("x-public"):
            continue
        # Anonymous, and a forged token.
        for headers in ({}, {"Authorization": "Bearer hl_t_not-a-token"}):
            response = _request(client, method, path, headers, 1)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
        for role in ROLES:
            token_id = None
            if path == "/api/tokens/{token_id}":  # revoking needs a token of one's own, new each time
                created = client.post("/api/tokens", json={"username": f"test-{role}", "password": "correct horse battery"}).json()
                token_id = created["id"]
            response = _request(client, method, path, users.headers(role), token_id)
            if role in roles:
                assert 200 <= response.status_code < 300, (method, path, role, response.status_code, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.status_code, response.text)
                assert response.json()["error"]["code"] == "forbidden"
            checked += 1
    assert checked >= 4 * 10


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_need_no_login(make_client, path):
    from tests.api.conftest import FakeBridge

    assert make_client(bridge=FakeBridge()).get(path).status_code == 200


def test_readiness_needs_the_configured_bridge_connected(make_client):
    from tests.api.conftest import FakeBridge

    down = make_client(bridge=FakeBridge(connected=False)).get("/readyz")
    assert down.status_code == 503
    assert down.json() == {"ready": False, "database": True, "bridge": {"configured": True, "connected": False, "server_id": "demo-ast20"}}
    assert make_client().get("/readyz").json()["bridge"] == {"configured": False, "connected": False, "server_id": None}
