"""The web pages: login, the wallboard and the calls (server-rendered with Jinja2; the
wallboard's live updates are a small script on the WebSocket feed, no build step).

Pages authenticate with a session cookie (HttpOnly, SameSite=Lax) and protect every form
with a double-submit CSRF token. Every value shown goes through the same masking as the API.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ami_bridge.facts import DISPOSITIONS
from ami_bridge.queries.calls import CallQuery, call_to_dict, get_call, list_calls
from api.auth import CSRF_COOKIE, SESSION_COOKIE, Principal, client_address, csrf_ok, new_csrf_token, resolve
from api.call_views import agent_calls, call_detail, call_numbers, may_see
from api.errors import ApiError
from api.i18n import LANG_COOKIE, LANGUAGES, language, translator
from api.pagination import encode_cursor, time_id_cursor
from api.params import check_range, parse_when
from api.redaction import for_viewer
from api.routers.tokens import login
from api.state import AppState
from core import audit, credentials
from core.db import transaction
from core.users import Role

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
ALL_ROLES = frozenset(Role)
PAGE_SIZE = 50
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    pass


class PageForbidden(Exception):
    pass


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login would help phishing.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/wallboard"
    return target


def page_user(request: Request, roles: frozenset[Role] = ALL_ROLES) -> Principal:
    try:
        principal = resolve(request, allow_cookie=True) if not request.headers.get("authorization") else None
    except ApiError:
        principal = None
    if principal is None or principal.via != "session":
        raise LoginRequired()
    if principal.role not in roles:
        raise PageForbidden()
    return principal


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200, user: Principal | None = None) -> HTMLResponse:
    lang = language(request)
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    response = templates.TemplateResponse(
        request, name, {"t": translator(lang), "lang": lang, "other_lang": "en" if lang == "zh" else "zh", "user": user, "csrf": csrf, "path": request.url.path, **context}, status_code=status
    )
    state: AppState = request.app.state.hotline
    if request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=state.settings.cookie_secure, path="/")
    response.headers.update(SECURITY_HEADERS)
    return response


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, _exc: PageForbidden) -> Response:
        return render(request, "message.html", {"message_key": "forbidden"}, status=403)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return RedirectResponse("/wallboard", status_code=303)

    @app.get("/lang/{code}", include_in_schema=False)
    def switch_language(request: Request, code: str, next: str | None = None) -> Response:
        response = RedirectResponse(_safe_next(next), status_code=303)
        if code in LANGUAGES:
            response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
        return response

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str | None = None) -> Response:
        return render(request, "login.html", {"next": _safe_next(next), "error": None})

    @app.post("/login", include_in_schema=False)
    def login_submit(
        request: Request,
        username: str = Form("", max_length=64),
        password: str = Form("", max_length=1024),
        csrf: str = Form("", max_length=100),
        next: str = Form("/wallboard", max_length=500),
    ) -> Response:
        state: AppState = request.app.state.hotline
        t = translator(language(request))
        target = _safe_next(next)
        if not csrf_ok(request, csrf):
            return render(request, "login.html", {"next": target, "error": t("csrf_failed")}, status=403)
        address = client_address(request)
        try:
            user = login(state, username, password, address)
        except ApiError as exc:  # throttled
            retry = (exc.headers or {}).get("Retry-After", "60")
            return render(request, "login.html", {"next": target, "error": t("login_throttled", seconds=retry)}, status=429)
        if user is None:
            return render(request, "login.html", {"next": target, "error": t("login_failed")}, status=401)
        with transaction(state.sessions) as session:
            user = session.merge(user)
            issued = credentials.issue(session, user, "session", ttl=timedelta(seconds=state.settings.session_ttl_s), now=state.now(), address=address)
            audit.record(session, audit.Actor(user.name, user.role, address), "auth.login", user.name, now=state.now())
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE, issued.secret, max_age=state.settings.session_ttl_s, httponly=True, samesite="lax", secure=state.settings.cookie_secure, path="/"
        )
        # A new CSRF token after login: one planted before it must not stay valid.
        response.set_cookie(CSRF_COOKIE, new_csrf_token(), httponly=True, samesite="strict", secure=state.settings.cookie_secure, path="/")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("", max_length=100)) -> Response:
        state: AppState = request.app.state.hotline
        if not csrf_ok(request, csrf):
            return render(request, "message.html", {"message_key": "csrf_failed"}, status=403)
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            with transaction(state.sessions) as session:
                credential = credentials.resolve(session, secret, "session", now=state.now())
                if credential is not None:
                    credentials.revoke(credential, now=state.now())
                    audit.record(session, audit.Actor(credential.user.name, credential.user.role, client_address(request)), "auth.logout", credential.user.name, now=state.now())
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/wallboard", include_in_schema=False)
    def wallboard(request: Request) -> Response:
        user = page_user(request)
        state: AppState = request.app.state.hotline
        s = state.settings
        lang = language(request)
        config = {
            "lang": lang,
            "messages": {k: translator(lang)(k) for k in ("waiting", "longest_wait", "service_level", "answer_rate", "abandoned", "today", "available", "on_call", "paused", "ringing", "unavailable", "feed_live", "feed_lost", "bridge_down", "no_queues", "recent_calls", "joined", "answered", "abandoned", "exited", "ended", "started", "seconds")},
            "thresholds": {
                "answer_rate_amber": s.wallboard_answer_rate_amber, "answer_rate_red": s.wallboard_answer_rate_red,
                "service_level_amber": s.wallboard_service_level_amber, "service_level_red": s.wallboard_service_level_red,
                "wait_red_factor": s.wallboard_wait_red_factor, "default_service_level_s": s.default_service_level_s,
            },
        }
        return render(request, "wallboard.html", {"config": config}, user=user)

    @app.get("/calls", include_in_schema=False)
    def calls_page(
        request: Request,
        since: str | None = None,
        until: str | None = None,
        queue: str | None = None,
        agent: str | None = None,
        disposition: str | None = None,
        caller: str | None = None,
        cursor: str | None = None,
    ) -> Response:
        user = page_user(request)
        state: AppState = request.app.state.hotline
        filters = {"since": since or "", "until": until or "", "queue": queue or "", "agent": agent or "", "disposition": disposition or "", "caller": caller or ""}
        error = None
        items: list[dict[str, Any]] = []
        next_url = None
        try:
            start, end = parse_when(state, since or None, "since"), parse_when(state, until or None, "until")
            check_range(start, end, "since", "until")
            if disposition and disposition not in DISPOSITIONS:
                raise ApiError(422, "invalid", f"disposition: {disposition!r} is not one of {', '.join(DISPOSITIONS)}")
            query = CallQuery(
                since=start, until=end, queue=queue or None, agent=agent or None, disposition=disposition or None, caller=caller or None,
                limit=PAGE_SIZE + 1, after=time_id_cursor(cursor) if cursor else None,
            )
            with transaction(state.sessions) as session:
                rows = agent_calls(session, query, user.interfaces) if user.role is Role.AGENT else list_calls(session, query)
                page = rows[:PAGE_SIZE]
                items = [for_viewer(call_to_dict(c, state.zone), user.full_numbers, call_numbers(c)) for c in page]
                if user.full_numbers and any(c.caller_num for c in page):
                    audit.record(session, user.actor, "calls.read", f"{len(page)} calls", now=state.now(), calls=[f"{c.server_id}/{c.linkedid}" for c in page], page="/calls")
            if len(rows) > PAGE_SIZE and page:
                params = {k: v for k, v in filters.items() if v}
                params["cursor"] = encode_cursor(page[-1].started_at.isoformat(), str(page[-1].id))
                next_url = "/calls?" + urlencode(params)
        except ApiError as exc:
            error = exc.message
        return render(request, "calls.html", {"items": items, "filters": filters, "dispositions": DISPOSITIONS, "error": error, "next_url": next_url}, user=user, status=422 if error else 200)

    @app.get("/calls/{server_id}/{linkedid}", include_in_schema=False)
    def call_page(request: Request, server_id: str, linkedid: str) -> Response:
        user = page_user(request)
        state: AppState = request.app.state.hotline
        with transaction(state.sessions) as session:
            call = get_call(session, server_id, linkedid)
            if call is None or not may_see(user.role, user.interfaces, call):
                return render(request, "message.html", {"message_key": "not_found"}, status=404, user=user)
            detail, numbers = call_detail(session, call, state.zone)
            if user.full_numbers and call.caller_num:
                audit.record(session, user.actor, "calls.read", f"{server_id}/{linkedid}", now=state.now(), calls=[f"{server_id}/{linkedid}"], page="/calls/detail")
        detail = for_viewer(detail, user.full_numbers, numbers)
        for entry in detail["timeline"]:
            entry["extra"] = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("at", "event", "uniqueid"))
        return render(request, "call.html", {"call": detail}, user=user)
