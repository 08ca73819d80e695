"""The OpenAPI document: the bearer security scheme, and 401/403 declared (in the error
shape) on every route that needs a login, i.e. that declares ``x-roles`` (``api.auth``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import responses


def build(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http", "scheme": "bearer", "description": "A token from POST /api/tokens.",
    }
    for path in schema["paths"].values():
        for operation in path.values():
            if operation.get("x-roles"):
                for status, spec in responses(401, 403).items():
                    operation["responses"].setdefault(
                        str(status), {"description": spec["description"], "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
                    )
    app.openapi_schema = schema
    return schema
