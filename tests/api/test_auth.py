"""Tokens, sessions, rate limits, the error shape, and secrets kept out of logs."""

from __future__ import annotations

import logging

from tests.api.conftest import PASSWORD


def test_a_token_is_issued_for_a_right_password_and_works_until_revoked(make_client, users):
    client = make_client()
    response = client.post("/api/tokens", json={"username": "test-supervisor", "password": PASSWORD, "label": "script"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token"].startswith("hl_t_") and body["role"] == "supervisor" and body["label"] == "script"
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/me", headers=headers).json() == {"name": "test-supervisor", "role": "supervisor", "interfaces": [], "full_numbers": True}
    listed = client.get("/api/tokens", headers=headers).json()
    assert body["id"] in [t["id"] for t in listed] and all("token" not in t for t in listed)
    assert client.delete(f"/api/tokens/{body['id']}", headers=headers).status_code == 204
    refused = client.get("/api/me", headers=headers)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"


def test_someone_elses_token_cannot_be_revoked_except_by_an_admin(make_client, users):
    client = make_client()
    token = client.post("/api/tokens", json={"username": "test-qa", "password": PASSWORD}).json()
    assert client.delete(f"/api/tokens/{token['id']}", headers=users.headers("agent")).status_code == 404
    assert client.delete(f"/api/tokens/{token['id']}", headers=users.headers("admin")).status_code == 204
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 401


def test_wrong_passwords_are_refused_then_rate_limited_per_account(make_client, users):
    client = make_client(login_max_failures_per_account=3)
    for _ in range(3):
        response = client.post("/api/tokens", json={"username": "test-throttled", "password": "wrong password"})
        assert response.status_code == 401
        assert response.json() == {"error": {"code": "unauthorized", "message": "wrong user name or password, or the user is disabled", "field": None}}
    throttled = client.post("/api/tokens", json={"username": "test-throttled", "password": PASSWORD})
    assert throttled.status_code == 429 and throttled.json()["error"]["code"] == "rate_limited"
    assert int(throttled.headers["Retry-After"]) > 0


def test_errors_have_one_shape_and_name_the_field(make_client, users):
    client = make_client()
    bad_time = client.get("/api/calls", params={"since": "yesterday"}, headers=users.headers("supervisor"))
    assert bad_time.status_code == 422
    assert bad_time.json()["error"]["field"] == "since" and "ISO-8601" in bad_time.json()["error"]["message"]
    bad_limit = client.get("/api/calls", params={"limit": "0"}, headers=users.headers("supervisor")).json()["error"]
    assert bad_limit["code"] == "invalid" and bad_limit["field"] == "limit"
    backwards = client.get("/api/queues/stats", params={"from": "2026-11-25", "to": "2026-11-24"}, headers=users.headers("supervisor")).json()["error"]
    assert backwards == {"code": "invalid", "message": "to: must be later than from", "field": "to"}
    missing = client.post("/api/tokens", json={"username": "x"}).json()["error"]
    assert missing["field"] == "password"
    assert client.get("/api/nothing-here").json()["error"]["code"] == "not_found"
    assert client.get("/api/calls", params={"cursor": "!!"}, headers=users.headers("supervisor")).json()["error"]["field"] == "cursor"


def test_a_rejected_password_is_not_echoed_back(make_client, users):
    client = make_client()
    secret = "a" * 2000  # too long: rejected by validation, which must not quote it
    response = client.post("/api/tokens", json={"username": "test-qa", "password": secret})
    assert response.status_code == 422 and secret[:50] not in response.text


def test_no_password_or_token_reaches_a_log(make_client, users, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client()
    token = client.post("/api/tokens", json={"username": "test-admin", "password": PASSWORD}).json()["token"]
    client.post("/api/tokens", json={"username": "test-admin", "password": "not the password " + "x"})
    client.get("/api/calls", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/calls", headers={"Authorization": "Bearer hl_t_forged"})
    text = "\n".join(record.getMessage() + str(record.args) for record in caplog.records)
    assert "hotline.access" in {r.name for r in caplog.records}  # the access log ran …
    for secret in (PASSWORD, token, "hl_t_forged", "not the password"):
        assert secret not in text  # … and holds none of these
