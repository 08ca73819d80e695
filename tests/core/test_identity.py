from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from core import audit, credentials
from core.audit import Actor, AuditLogIsAppendOnly, AuditQuery
from core.db import transaction
from core.login import LoginPolicy, LoginThrottled, authenticate
from core.models import AuditEntry
from core.users import Role, UserError, add_user, get_user, set_disabled, set_password

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
POLICY = LoginPolicy(max_failures_per_account=3, max_failures_per_address=5, window=timedelta(minutes=15))


def test_passwords_are_argon2_hashed_and_checked(db):
    with transaction(db.sessions) as session:
        user = add_user(session, "li", Role.SUPERVISOR, "correct horse", now=T0)
        assert user.password_hash.startswith("$argon2id$") and "correct horse" not in user.password_hash
    with transaction(db.sessions) as session:
        assert authenticate(session, "li", "correct horse", address="10.0.0.1", now=T0, policy=POLICY).name == "li"
        assert authenticate(session, "li", "wrong", address="10.0.0.1", now=T0, policy=POLICY) is None
        assert authenticate(session, "nobody", "correct horse", address="10.0.0.1", now=T0, policy=POLICY) is None


def test_bad_users_are_refused_with_the_field_named(db):
    with transaction(db.sessions) as session:
        with pytest.raises(UserError) as short:
            add_user(session, "li", Role.QA, "short", now=T0)
        assert short.value.field == "password"
        with pytest.raises(UserError) as agent:
            add_user(session, "wang", Role.AGENT, "long enough", now=T0)
        assert agent.value.field == "agent_interface"
        with pytest.raises(UserError) as bad_interface:
            add_user(session, "wang", Role.AGENT, "long enough", interfaces=["not an interface"], now=T0)
        assert bad_interface.value.field == "agent_interface"
        with pytest.raises(UserError) as bad_name:
            add_user(session, "has space", Role.QA, "long enough", now=T0)
        assert bad_name.value.field == "name"
        add_user(session, "wang", Role.AGENT, "long enough", interfaces=["PJSIP/1001", "SIP/1001"], now=T0)
        with pytest.raises(UserError) as twice:
            add_user(session, "wang", Role.QA, "long enough", now=T0)
        assert twice.value.field == "name"
    with db.sessions() as session:
        assert get_user(session, "wang").interface_names == ["PJSIP/1001", "SIP/1001"]


def test_login_is_throttled_per_account_then_frees_up(db):
    with transaction(db.sessions) as session:
        add_user(session, "li", Role.SUPERVISOR, "correct horse", now=T0)
    for i in range(3):
        with transaction(db.sessions) as session:
            assert authenticate(session, "li", f"guess {i}", address=f"10.0.0.{i}", now=T0, policy=POLICY) is None
    with transaction(db.sessions) as session, pytest.raises(LoginThrottled) as throttled:
        # Refused before the password is checked: the right one does not get in either.
        authenticate(session, "li", "correct horse", address="10.0.0.9", now=T0 + timedelta(minutes=1), policy=POLICY)
    assert throttled.value.scope == "account" and 0 < throttled.value.retry_after_s <= 15 * 60
    with transaction(db.sessions) as session:
        later = T0 + timedelta(minutes=16)
        assert authenticate(session, "li", "correct horse", address="10.0.0.9", now=later, policy=POLICY) is not None


def test_login_is_throttled_per_address_across_accounts(db):
    for i in range(5):
        with transaction(db.sessions) as session:
            authenticate(session, f"user{i}", "guess", address="10.9.9.9", now=T0, policy=POLICY)
    with transaction(db.sessions) as session, pytest.raises(LoginThrottled) as throttled:
        authenticate(session, "someone-else", "guess", address="10.9.9.9", now=T0, policy=POLICY)
    assert throttled.value.scope == "address"


def test_tokens_resolve_until_revoked_expired_or_their_user_is_disabled(db):
    with transaction(db.sessions) as session:
        user = add_user(session, "li", Role.SUPERVISOR, "correct horse", now=T0)
        token = credentials.issue(session, user, "token", ttl=timedelta(days=1), now=T0, name="cli")
        session_secret = credentials.issue(session, user, "session", ttl=timedelta(hours=1), now=T0).secret
    assert token.secret.startswith("hl_t_")
    with transaction(db.sessions) as session:
        assert credentials.resolve(session, token.secret, "token", now=T0).user.name == "li"
        assert credentials.resolve(session, token.secret, "session", now=T0) is None  # a token is not a session
        assert credentials.resolve(session, token.secret + "x", "token", now=T0) is None
        assert credentials.resolve(session, session_secret, "session", now=T0 + timedelta(hours=2)) is None
    with transaction(db.sessions) as session:
        set_disabled(session, get_user(session, "li"), True, now=T0)
    with transaction(db.sessions) as session:
        assert credentials.resolve(session, token.secret, "token", now=T0) is None
        set_disabled(session, get_user(session, "li"), False, now=T0)
    with transaction(db.sessions) as session:
        assert credentials.revoke(credentials.get_credential(session, token.credential.id), now=T0)
    with transaction(db.sessions) as session:
        assert credentials.resolve(session, token.secret, "token", now=T0) is None


def test_password_change_and_revoke_all(db):
    with transaction(db.sessions) as session:
        user = add_user(session, "li", Role.SUPERVISOR, "correct horse", now=T0)
        secret = credentials.issue(session, user, "token", ttl=timedelta(days=1), now=T0).secret
        set_password(session, user, "battery staple", now=T0)
        assert credentials.revoke_all(session, user, now=T0) == 1
    with transaction(db.sessions) as session:
        assert credentials.resolve(session, secret, "token", now=T0) is None
        assert authenticate(session, "li", "battery staple", address="a", now=T0, policy=POLICY) is not None


def test_audit_log_is_append_only(db):
    actor = Actor("li", "supervisor", "10.0.0.1")
    with transaction(db.sessions) as session:
        first = audit.record(session, actor, "calls.read", "pbx1/1.1", now=T0, calls=["pbx1/1.1"])
        audit.record(session, actor, "agent.pause", "PJSIP/1001", now=T0 + timedelta(seconds=1), reason="lunch")
        audit.record(session, Actor("cli:root"), "user.add", "wang", now=T0 + timedelta(seconds=2), role="agent")
    with db.sessions() as session:
        entries = audit.list_entries(session, AuditQuery())
        assert [e.action for e in entries] == ["user.add", "agent.pause", "calls.read"]
        assert [e.action for e in audit.list_entries(session, AuditQuery(action="agent"))] == ["agent.pause"]
        assert [e.action for e in audit.list_entries(session, AuditQuery(before_id=entries[0].id, limit=1))] == ["agent.pause"]
    with db.sessions() as session:
        entry = session.get(AuditEntry, first.id)
        entry.target = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            session.commit()
        session.rollback()
        session.delete(session.get(AuditEntry, first.id))
        with pytest.raises(AuditLogIsAppendOnly):
            session.commit()
    # Below the ORM too: the database refuses UPDATE.
    with pytest.raises(Exception, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE audit_log SET target = 'x'"))


def test_failures_older_than_the_window_are_forgotten(db):
    from sqlalchemy import func, select

    from core.models import LoginFailure

    for minutes in (0, 20):
        with transaction(db.sessions) as session:
            authenticate(session, "someone", "guess", address="10.1.1.1", now=T0 + timedelta(minutes=minutes), policy=POLICY)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 1
