"""``/api/tokens`` and ``/api/me``: API credentials.

``POST /api/tokens`` is the API's login: a name and password (rate-limited like the login
page) buy a bearer token, shown once. Tokens are listed and revoked by their owner (and
by admins, for anyone's).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api.auth import ANY_USER, PUBLIC, Principal, client_address
from api.errors import ApiError, responses
from api.schemas import Me, TokenCreated, TokenInfo, TokenRequest
from api.state import AppState, app_state
from core import audit, credentials
from core.audit import Actor
from core.db import transaction
from core.login import LoginThrottled, authenticate
from core.models import Credential, User
from core.times import iso
from core.users import Role

router = APIRouter(prefix="/api", tags=["authentication"])
AnyUser = Annotated[Principal, Depends(ANY_USER)]


def token_info(credential: Credential, state: AppState) -> dict:
    zone = state.zone
    return {
        "id": credential.id, "label": credential.name, "user": credential.user.name, "created_at": iso(credential.created_at, zone),
        "expires_at": iso(credential.expires_at, zone), "last_used_at": iso(credential.last_used_at, zone), "revoked_at": iso(credential.revoked_at, zone),
    }


def login(state: AppState, username: str, password: str, address: str):
    """Authenticate (rate-limited); audit success and failure. Shared with the login page."""
    with transaction(state.sessions) as session:
        try:
            user = authenticate(session, username, password, address=address, now=state.now(), policy=state.login_policy)
        except LoginThrottled as exc:
            audit.record(session, Actor(username[:64], "", address), "auth.throttled", username[:64], now=state.now(), scope=exc.scope)
            raise ApiError(429, "rate_limited", str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from None
        if user is None:
            audit.record(session, Actor(username[:64], "", address), "auth.failed", username[:64], now=state.now())
            return None
        return user


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=201,
    summary="Get an API token (log in)",
    description="Exchanges a user's name and password for a bearer token (send it as `Authorization: Bearer <token>`). "
    "Failed attempts are limited per account and per address (429 with `Retry-After`).",
    responses=responses(400, 401, 422, 429),
    openapi_extra=PUBLIC,
)
def create_token(request: Request, body: TokenRequest) -> dict:
    state: AppState = app_state(request)
    address = client_address(request)
    user = login(state, body.username, body.password, address)
    if user is None:
        raise ApiError(401, "unauthorized", "wrong user name or password, or the user is disabled", headers={"WWW-Authenticate": "Bearer"})
    days = body.expires_in_days or state.settings.token_ttl_days
    with transaction(state.sessions) as session:
        user = session.merge(user)
        issued = credentials.issue(session, user, "token", ttl=timedelta(days=days), now=state.now(), name=body.label, address=address)
        audit.record(session, Actor(user.name, user.role, address), "token.create", f"token {issued.credential.id}", now=state.now(), label=body.label, expires_in_days=days)
        return {**token_info(issued.credential, state), "role": user.role, "token": issued.secret}


@router.get(
    "/tokens",
    response_model=list[TokenInfo],
    summary="List API tokens",
    description="Your own tokens, newest first; admins see everyone's. Secrets are never shown again.",
    responses=responses(401, 403),
    openapi_extra=ANY_USER.openapi,
)
def list_tokens(request: Request, user: AnyUser) -> list[dict]:
    state: AppState = app_state(request)
    with state.sessions() as session:
        owner = None if user.role is Role.ADMIN else session.get(User, user.user_id)
        return [token_info(c, state) for c in credentials.list_tokens(session, owner)]


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    summary="Revoke an API token",
    description="Revokes one of your tokens (admins: anyone's). It stops working at once.",
    responses=responses(401, 403, 404, 422),
    response_class=Response,
    openapi_extra=ANY_USER.openapi,
)
def revoke_token(request: Request, user: AnyUser, token_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="The token's `id`.")]) -> Response:
    state: AppState = app_state(request)
    with transaction(state.sessions) as session:
        credential = credentials.get_credential(session, token_id)
        if credential is None or credential.kind != "token" or (user.role is not Role.ADMIN and credential.user_id != user.user_id):
            raise ApiError(404, "not_found", f"no token {token_id} of yours")
        if credentials.revoke(credential, now=state.now()):
            audit.record(session, user.actor, "token.revoke", f"token {token_id}", now=state.now(), owner=credential.user.name)
    return Response(status_code=204)


@router.get("/me", response_model=Me, summary="Who am I", description="The user behind the token, its role and whether it sees full numbers.", responses=responses(401, 403), openapi_extra=ANY_USER.openapi)
def me(user: AnyUser) -> dict:
    return {"name": user.name, "role": user.role.value, "interfaces": list(user.interfaces), "full_numbers": user.full_numbers}
