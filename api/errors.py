"""One error shape for every API response that is not a success:
``{"error": {"code": "...", "message": "...", "field": "..." | null}}``.

Messages name what was wrong and where (a parameter, a body field), and never echo the
submitted value: a rejected password or token must not come back in a response or a log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("hotline.api")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid`, `unauthorized`, `forbidden`, `not_found`.")
    message: str = Field(description="What went wrong, for a person.")
    field: str | None = Field(None, description="The parameter or body field at fault, when there is one.")


class ErrorResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"error": {"code": "invalid", "message": "since: '2026-13-01' is not an ISO-8601 time", "field": "since"}}]}
    )
    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid", f"{field}: {message}", field=field)


_DESCRIPTIONS = {
    400: "The request body could not be read as JSON (UTF-8).",
    401: "Not authenticated: no, an unknown, an expired or a revoked credential.",
    403: "Authenticated, but this role may not use this route.",
    404: "No such resource (or not one this user may see).",
    422: "A parameter or body field is invalid; `field` names it.",
    429: "Too many failed logins; `Retry-After` says when to try again.",
    502: "The PBX refused the action (its message is passed on).",
    503: "No AMI bridge is connected, so the action cannot reach the PBX.",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI response declarations in the error shape, for ``statuses``."""
    return {status: {"model": ErrorResponse, "description": _DESCRIPTIONS[status]} for status in statuses}


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 406: "not_acceptable", 415: "unsupported_media_type"}


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("query", "path", "body", "header", "cookie") else [str(p) for p in loc]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = _field(tuple(first.get("loc", ())))
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        if field and not message.startswith(f"{field}:"):
            message = f"{field}: {message}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        return JSONResponse(error_body("invalid", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback names code, not request data: no query string, no headers.
        log.error("unhandled error in %s %s", request.method, request.scope.get("route").path if request.scope.get("route") else "?", exc_info=exc)
        return JSONResponse(error_body("internal", "internal server error"), status_code=500)
