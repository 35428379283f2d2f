"""Every error answer of the API has one shape: ``{error, code, details}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from hpi_app.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
)
from hpi_app.validation import request_error_details

log = logging.getLogger("hpi.api")

STATUS_OF = {
    InvalidInput: 400,
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    TooManyRequests: 429,
    Unavailable: 503,
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def error_response(
    status: int, error: str, code: str, details: list | None = None, extra: dict | None = None
) -> JSONResponse:
    """A JSON error answer: ``{error, code, details}`` plus any ``extra`` keys."""
    body = {**(extra or {}), "error": error, "code": code, "details": details or []}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 429 and "retry_after" in body:
        headers = {"Retry-After": str(body["retry_after"])}
    return JSONResponse(body, status_code=status, headers=headers)


async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
    status = next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 400)
    return error_response(status, exc.message, exc.code, exc.details, exc.extra)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    details = request_error_details(exc.errors())
    if any(d["field"] == "body" and "JSON" in d["message"] for d in details):
        message = "The request body is not valid JSON."
        code = "invalid_json"
    else:
        fields = ", ".join(d["field"] for d in details[:5])
        message = f"Invalid request: check {fields}." if fields else "Invalid request."
        code = "validation_error"
    return error_response(400, message, code, details)


async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = "Not found" if exc.status_code == 404 else str(exc.detail)
    return error_response(exc.status_code, message, code)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("Unhandled error", exc_info=exc)
    return error_response(500, "Internal server error", "internal_error")


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
