"""Password hashing with argon2id (argon2-cffi: the reference implementation's binding,
with the RFC 9106 parameters; a home-made KDF would be a liability)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 accepts anything; a bound keeps a login request from costing minutes

_hasher = PasswordHasher()
# Verified when the user does not exist, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend time")


def check_policy(password: str) -> None:
    """Raise ``ValueError`` naming the problem when ``password`` may not be set."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password: at least {MIN_LENGTH} characters are needed")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"password: at most {MAX_LENGTH} characters are allowed")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def rehash(password: str) -> str:
    """A fresh hash of a password that was just verified (no policy check: it is in use)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
