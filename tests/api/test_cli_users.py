"""``hotline users``, ``hotline audit`` and ``hotline serve`` from the command line."""

from __future__ import annotations

import json

import httpx
from click.testing import CliRunner

from api.cli import main
from tests.api.servers import ServeProcess


def run(db, *args, input=None, ok=True):
    result = CliRunner().invoke(main, list(args), input=input, env={"HOTLINE_DATABASE_URL": db.url, "HOTLINE_TIMEZONE": "UTC"})
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_users_add_list_passwd_disable_and_the_audit_trail(db):
    run(db, "users", "add", "li", "--role", "supervisor", "--password-stdin", input="correct horse battery\n")
    run(db, "users", "add", "wang", "--role", "agent", "--agent-interface", "PJSIP/1002", "--agent-interface", "SIP/1002", input="another good one\nanother good one\n")
    listed = json.loads(run(db, "users", "list", "--json").output)
    assert [(u["name"], u["role"], u["interfaces"], u["disabled"]) for u in listed] == [
        ("li", "supervisor", [], False), ("wang", "agent", ["PJSIP/1002", "SIP/1002"], False)]
    assert "correct horse" not in json.dumps(listed)
    assert "revoked" in run(db, "users", "passwd", "li", "--password-stdin", input="battery staple horse\n").output
    assert "disabled" in run(db, "users", "disable", "wang").output
    assert json.loads(run(db, "users", "list", "--json").output)[1]["disabled"] is True
    audit = json.loads(run(db, "audit", "list", "--json").output)
    assert [(e["action"], e["target"]) for e in audit] == [("user.disable", "wang"), ("user.passwd", "li"), ("user.add", "wang"), ("user.add", "li")]
    assert all(e["actor"].startswith("cli:") for e in audit)
    assert "horse" not in json.dumps(audit) and "another good" not in json.dumps(audit)
    assert [e["action"] for e in json.loads(run(db, "audit", "list", "--json", "--action", "user.add").output)] == ["user.add", "user.add"]


def test_bad_user_input_names_the_option(db):
    agent = run(db, "users", "add", "zhao", "--role", "agent", "--password-stdin", input="long enough pw\n", ok=False)
    assert agent.exit_code == 2 and "--agent-interface" in agent.output
    short = run(db, "users", "add", "zhao", "--role", "qa", "--password-stdin", input="short\n", ok=False)
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    role = run(db, "users", "add", "zhao", "--role", "boss", "--password-stdin", input="long enough pw\n", ok=False)
    assert role.exit_code == 2 and "--role" in role.output
    missing = run(db, "users", "disable", "nobody", ok=False)
    assert missing.exit_code == 2 and "no user named 'nobody'" in missing.output


def test_serve_answers_probes_and_metrics(db):
    with ServeProcess({"HOTLINE_DATABASE_URL": db.url, "HOTLINE_TIMEZONE": "UTC", "HOTLINE_AMI_HOST": ""}) as server:
        assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
        ready = httpx.get(server.url + "/readyz")
        assert ready.status_code == 200 and ready.json()["database"] is True and ready.json()["bridge"]["configured"] is False
        httpx.get(server.url + "/api/calls")  # a 401, timed like any request
        metrics = httpx.get(server.url + "/metrics").text
        assert 'hotline_http_request_duration_seconds_count{method="GET",route="/api/calls",status="401"} 1.0' in metrics
        assert "hotline_live_clients 0.0" in metrics
    log = server.output()
    assert "Uvicorn running" in log and "GET /api/calls 401" in log
