"""Who is asking, and may they: bearer tokens for the API, a session cookie for the
pages (and the live feed the wallboard opens), and a role check every route declares.

A route declares its roles once, with one of the ``Allow`` instances below: as its
parameter ``user: Annotated[Principal, Depends(X)]`` and as ``openapi_extra=X.openapi``
(the ``x-roles`` of the OpenAPI document). The route × role test walks ``x-roles`` and
checks every route enforces exactly what it declares.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from fastapi import Request, WebSocket
from starlette.requests import HTTPConnection

from api.errors import ApiError
from api.state import AppState
from core import credentials
from core.audit import Actor
from core.db import transaction
from core.users import Role

SESSION_COOKIE = "hotline_session"
CSRF_COOKIE = "hotline_csrf"


@dataclass(frozen=True)
class Principal:
    user_id: int
    name: str
    role: Role
    interfaces: tuple[str, ...]
    credential_id: int
    address: str
    via: Literal["token", "session"]
    full_numbers: bool

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role.value, self.address)


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else ""


def _bearer(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "unauthorized", "Authorization: use 'Bearer <token>' (POST /api/tokens issues one)", headers={"WWW-Authenticate": "Bearer"})
    return value.strip()


def resolve(connection: HTTPConnection, *, allow_cookie: bool) -> Principal | None:
    """The principal behind the request's credential, or None when it carries none.

    Raises 401 for a credential that is present but unknown, expired or revoked.
    """
    state: AppState = connection.app.state.hotline
    secret = _bearer(connection)
    kind: Literal["token", "session"] = "token"
    if secret is None and allow_cookie:
        secret = connection.cookies.get(SESSION_COOKIE)
        kind = "session"
    if secret is None:
        return None
    with transaction(state.sessions) as session:
        credential = credentials.resolve(session, secret, kind, now=state.now())
        if credential is None:
            raise ApiError(401, "unauthorized", "the credential is unknown, expired or revoked", headers={"WWW-Authenticate": "Bearer"})
        user = credential.user
        role = Role(user.role)
        return Principal(
            user_id=user.id,
            name=user.name,
            role=role,
            interfaces=tuple(user.interface_names),
            credential_id=credential.id,
            address=client_address(connection),
            via=kind,
            full_numbers=role.value in state.settings.full_number_roles,
        )


class Allow:
    """A dependency that admits only ``roles``: 401 without a valid bearer token, 403 for another role."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("Allow needs at least one role; use PUBLIC (openapi_extra) for routes without a login")
        self.roles = frozenset(roles)

    def __call__(self, request: Request) -> Principal:
        principal = resolve(request, allow_cookie=False)
        if principal is None:
            raise ApiError(401, "unauthorized", "this route needs 'Authorization: Bearer <token>' (POST /api/tokens issues one)", headers={"WWW-Authenticate": "Bearer"})
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            raise ApiError(403, "forbidden", f"the {principal.role.value} role may not use this route (allowed: {allowed})")
        request.state.principal = principal
        return principal

    @property
    def openapi(self) -> dict[str, object]:
        """The route's ``openapi_extra``: its roles, as the route × role test reads them."""
        return {"x-roles": sorted(r.value for r in self.roles), "security": [{"bearerAuth": []}]}


#: ``openapi_extra`` of the few routes usable without a login (they authenticate by other means, or are probes).
PUBLIC: dict[str, object] = {"x-roles": [], "x-public": True, "security": []}

ANY_USER = Allow(Role.ADMIN, Role.SUPERVISOR, Role.QA, Role.AGENT)
STAFF = Allow(Role.ADMIN, Role.SUPERVISOR, Role.QA)
SUPERVISORS = Allow(Role.SUPERVISOR)
ADMINS = Allow(Role.ADMIN)


def websocket_principal(websocket: WebSocket) -> Principal | None:
    """Bearer token, or the session cookie when the page that opened the socket is ours.

    Browsers send cookies with cross-site WebSocket handshakes, so a cookie is honoured
    only when ``Origin`` names this host (cross-site WebSocket hijacking).
    """
    if websocket.headers.get("authorization"):
        return resolve(websocket, allow_cookie=False)
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if origin is not None and (host is None or origin.split("://", 1)[-1] != host):
        return None
    return resolve(websocket, allow_cookie=True)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Double-submit check: the form's token must equal the HttpOnly, SameSite=Strict cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and submitted and hmac.compare_digest(cookie, submitted))
