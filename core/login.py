"""Checking a name and password, with the rate limits that make guessing slow.

Failures are counted per account (someone guessing one person's password) and per
address (someone trying many accounts) over a sliding window; while either count is at
its limit, further attempts are refused before the password is even checked, so a
locked account does not tell a right password from a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.models import LoginFailure, User
from core.users import check_password, get_user


@dataclass(frozen=True)
class LoginPolicy:
    max_failures_per_account: int = 5
    max_failures_per_address: int = 20
    window: timedelta = timedelta(minutes=15)


class LoginThrottled(Exception):
    def __init__(self, retry_after_s: int, scope: str) -> None:
        super().__init__(f"too many failed logins for this {scope}; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s
        self.scope = scope


def _retry_after(session: Session, where: object, limit: int, policy: LoginPolicy, now: datetime) -> int | None:
    since = now - policy.window
    times = list(session.scalars(select(LoginFailure.at).where(where, LoginFailure.at > since).order_by(LoginFailure.at.desc()).limit(limit)))  # type: ignore[arg-type]
    if len(times) < limit:
        return None
    # Free again once the oldest of the last ``limit`` failures leaves the window.
    return max(1, int((times[-1] + policy.window - now).total_seconds()) + 1)


def authenticate(session: Session, name: str, password: str, *, address: str, now: datetime, policy: LoginPolicy) -> User | None:
    """The enabled user with this name and password, or None (and a failure counted).

    Raises ``LoginThrottled`` while the account or the address is over its limit.
    """
    name = name[:64]
    address = address[:64]
    for where, limit, scope in (
        (LoginFailure.name == name, policy.max_failures_per_account, "account"),
        (LoginFailure.address == address, policy.max_failures_per_address, "address"),
    ):
        retry = _retry_after(session, where, limit, policy, now)
        if retry is not None:
            raise LoginThrottled(retry, scope)
    user = get_user(session, name)
    ok = check_password(session, user, password, now=now)
    # Failures that left the window no longer count; dropping them keeps the table as
    # small as one window's worth of failures.
    prune_failures(session, now=now, policy=policy)
    if not ok or user is None or user.disabled:
        session.add(LoginFailure(at=now, name=name, address=address))
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.name == name))
    return user


def prune_failures(session: Session, *, now: datetime, policy: LoginPolicy) -> int:
    """Forget failures older than the window (they no longer count)."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.at <= now - policy.window))
    return int(getattr(result, "rowcount", 0) or 0)


def failures(session: Session, name: str) -> int:
    return int(session.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.name == name)) or 0)
