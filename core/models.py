"""Tables of identity and accountability: users, their credentials, failed logins and
the audit log. Generic: a user's ``interfaces`` are opaque names of the PBX identities
(AMI interfaces) the person acts as, which the call-center packages interpret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime

# SQLite only makes INTEGER PRIMARY KEY an alias of its rowid (auto-increment).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    #: argon2id in PHC string format; never leaves this package.
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    interfaces: Mapped[list[UserInterface]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserInterface.interface", lazy="selectin"
    )

    @property
    def interface_names(self) -> list[str]:
        return [link.interface for link in self.interfaces]


class UserInterface(Base):
    """A PBX identity (e.g. ``PJSIP/1001``) a user acts as; an agent sees only its calls."""

    __tablename__ = "user_interfaces"
    __table_args__ = (UniqueConstraint("user_id", "interface"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    interface: Mapped[str] = mapped_column(String(128))
    user: Mapped[User] = relationship(back_populates="interfaces")


class Credential(Base):
    """A browser session or an API token. Only a SHA-256 of the secret is stored: the
    secrets are 256-bit random, so a fast hash is as good as a slow one here and keeps
    every authenticated request cheap."""

    __tablename__ = "credentials"
    __table_args__ = (Index("ix_credentials_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "session" | "token"
    name: Mapped[str] = mapped_column(String(100), default="")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(64), default="")
    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """A failed login, kept for the per-account and per-address rate limits (in the
    database, so several API processes share one count)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_name_at", "name", "at"), Index("ix_login_failures_address_at", "address", "at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Who read or changed what, when and from where. Append-only: nothing in Hotline
    updates or deletes a row (``core.audit`` guards the ORM; the migration adds a trigger
    that refuses UPDATE)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
