"""Browser sessions and API tokens: random secrets handed out once, stored as hashes,
revocable and expiring.

A secret looks like ``hl_s_…`` (session) or ``hl_t_…`` (token) so that one found in the
wrong place (a log, a paste) is recognisable and can be revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Credential, User

Kind = Literal["session", "token"]
PREFIX: dict[str, str] = {"session": "hl_s_", "token": "hl_t_"}
#: ``last_used_at`` is written at most this often, so that reads do not all turn into writes.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    secret: str  # shown once to its owner, never stored
    credential: Credential


def issue(session: Session, user: User, kind: Kind, *, ttl: timedelta, now: datetime, name: str = "", address: str = "") -> Issued:
    secret = PREFIX[kind] + secrets.token_urlsafe(32)
    credential = Credential(
        user_id=user.id, kind=kind, name=name, secret_hash=_digest(secret), created_at=now, expires_at=now + ttl, address=address[:64]
    )
    credential.user = user
    session.add(credential)
    session.flush()
    return Issued(secret, credential)


def resolve(session: Session, secret: str, kind: Kind, *, now: datetime) -> Credential | None:
    """The live credential behind ``secret``: not revoked, not expired, its user enabled."""
    if not secret.startswith(PREFIX[kind]) or len(secret) > 200:
        return None
    credential = session.scalar(select(Credential).where(Credential.secret_hash == _digest(secret), Credential.kind == kind))
    if credential is None or credential.revoked_at is not None or credential.expires_at <= now or credential.user.disabled:
        return None
    if credential.last_used_at is None or now - credential.last_used_at >= TOUCH_EVERY:
        credential.last_used_at = now
    return credential


def list_tokens(session: Session, user: User | None = None) -> list[Credential]:
    """API tokens (of one user, or everyone's), newest first."""
    statement = select(Credential).where(Credential.kind == "token").order_by(Credential.id.desc())
    if user is not None:
        statement = statement.where(Credential.user_id == user.id)
    return list(session.scalars(statement))


def get_credential(session: Session, credential_id: int) -> Credential | None:
    return session.get(Credential, credential_id)


def revoke(credential: Credential, *, now: datetime) -> bool:
    """Revoke; return False when it was revoked already."""
    if credential.revoked_at is not None:
        return False
    credential.revoked_at = now
    return True


def revoke_all(session: Session, user: User, *, now: datetime) -> int:
    """Revoke every session and token of ``user`` (after a password change or disabling)."""
    count = 0
    for credential in session.scalars(select(Credential).where(Credential.user_id == user.id, Credential.revoked_at.is_(None))):
        credential.revoked_at = now
        count += 1
    return count
