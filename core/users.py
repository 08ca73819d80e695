"""Users and their roles.

Four roles, each a set of duties rather than a rank: ``admin`` manages accounts and reads
the audit log; ``supervisor`` runs the floor (live queues, statistics, pausing agents);
``qa`` reviews calls; ``agent`` handles calls and sees only its own. Which role may use
which route is declared at the route, not derived from an order of roles.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User, UserInterface
from core.passwords import hash_password, needs_rehash, rehash, verify_password


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    QA = "qa"
    AGENT = "agent"


ROLES: tuple[Role, ...] = tuple(Role)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# What Asterisk calls a queue member's interface: TECH/resource, e.g. PJSIP/1001, SIP/1001, Local/1001@agents.
INTERFACE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*/[^\s,;|]{1,120}$")


class UserError(ValueError):
    """Bad input for a user change; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise UserError("role", f"{text!r} is not one of {', '.join(ROLES)}") from None


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise UserError("name", f"{name!r}: use 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
    return name


def check_interface(interface: str) -> str:
    if not INTERFACE_PATTERN.match(interface):
        raise UserError("agent_interface", f"{interface!r} is not an AMI interface such as PJSIP/1001")
    return interface


def get_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def add_user(session: Session, name: str, role: Role, password: str, *, interfaces: list[str] | None = None, now: datetime) -> User:
    check_name(name)
    interfaces = [check_interface(i) for i in interfaces or []]
    if role is Role.AGENT and not interfaces:
        raise UserError("agent_interface", "an agent user needs at least one --agent-interface (its calls are found by it)")
    if role is not Role.AGENT and interfaces:
        raise UserError("agent_interface", f"only agent users are linked to interfaces, not {role.value} users")
    if get_user(session, name) is not None:
        raise UserError("name", f"a user named {name!r} exists already")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise UserError("password", str(exc).partition(": ")[2]) from None
    user = User(name=name, role=role.value, password_hash=password_hash, disabled=False, created_at=now, updated_at=now)
    user.interfaces = [UserInterface(interface=i) for i in dict.fromkeys(interfaces)]
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str, *, now: datetime) -> None:
    try:
        user.password_hash = hash_password(password)
    except ValueError as exc:
        raise UserError("password", str(exc).partition(": ")[2]) from None
    user.updated_at = now


def set_disabled(session: Session, user: User, disabled: bool, *, now: datetime) -> None:
    user.disabled = disabled
    user.updated_at = now


def check_password(session: Session, user: User | None, password: str, *, now: datetime) -> bool:
    """Verify, spending the same time whether or not ``user`` exists; upgrade an old hash."""
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and needs_rehash(user.password_hash):
        user.password_hash = rehash(password)
        user.updated_at = now
    return ok
