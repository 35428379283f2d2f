"""The API's OpenAPI document: FastAPI's, made exact about what every route can answer.

Routes declare their own answers (``responses=`` with a description, e.g. 409 "not pending");
this module adds the ones that follow from how a route is built, so a new route is documented
without repeating them:

- 400 with :class:`~hpi_app.api.schemas.ErrorBody` on every route taking parameters or a body
  (HPI answers 400, never FastAPI's 422, which is removed with its schemas);
- 401 on every route that declares the bearer token, 403 where it names scopes;
- 404 on every route with a path parameter, 413 on every route with a body.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorBody"}
_GENERIC = {
    400: "Invalid input; `details` names each bad field by its JSON path",
    401: "Missing, invalid, revoked or expired token",
    403: "The token lacks the scope this route needs",
    404: "Not found in this organisation",
    413: "The request body is larger than the limit",
}
_FASTAPI_ONLY = ("HTTPValidationError", "ValidationError")


def _answers(operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation answers because of how it is built."""
    parameters = operation.get("parameters", [])
    body = "requestBody" in operation
    requirements = operation.get("security", [])
    statuses = []
    if parameters or body:
        statuses.append(400)
    if requirements and all(requirements):
        statuses.append(401)
    if any(scopes for requirement in requirements for scopes in requirement.values()):
        statuses.append(403)
    if any(parameter["in"] == "path" for parameter in parameters):
        statuses.append(404)
    if body:
        statuses.append(413)
    return statuses


def _complete(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status in _answers(operation):
        answer = responses.setdefault(str(status), {"description": _GENERIC[status]})
        answer.setdefault("content", {"application/json": {"schema": ERROR_SCHEMA}})


def exact_document(api: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``api``, built once: FastAPI's, completed as the module says."""
    if api.openapi_schema is None:
        document = get_openapi(
            title=api.title,
            version=api.version,
            openapi_version=api.openapi_version,
            description=api.description,
            routes=api.routes,
        )
        for item in document.get("paths", {}).values():
            for operation in item.values():
                _complete(operation)
        schemas = document.get("components", {}).get("schemas", {})
        for name in _FASTAPI_ONLY:
            schemas.pop(name, None)
        api.openapi_schema = document
    return api.openapi_schema


def install(api: FastAPI) -> None:
    """Serve :func:`exact_document` as ``api``'s OpenAPI document."""
    api.openapi = lambda: exact_document(api)  # type: ignore[method-assign]
