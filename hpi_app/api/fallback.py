"""The answer to an ``/api/...`` request no route takes: 405 with ``Allow``, or 404 (JSON, never HTML).

Decisions worth knowing:

- A path some route serves, asked with another method, is 405 with ``Allow`` naming exactly the
  methods the OpenAPI document (and the docs page's own routes) declare for it; anything else
  is 404. ``HEAD`` is not served where ``GET`` is (FastAPI routes answer only what they declare).
- Path parameters match any character but ``/``, newlines included (``/tasks/%0A`` is a task id
  that is not found, answered in JSON like every other 404).
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hpi_app.api import errors

ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")


class _AnyConvertor(Convertor[str]):
    """A ``{name:any}`` path segment run: every character, newlines included."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("any", _AnyConvertor())


def _path_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def _served(api: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each documented path (and plain route, such as the docs page) with the methods it serves."""
    served = getattr(api.state, "served_methods", None)
    if served is None:
        served = [
            (_path_regex(path), frozenset(m.upper() for m in item if m.upper() in ANY_METHOD))
            for path, item in api.openapi().get("paths", {}).items()
        ]
        served += [
            (route.path_regex, frozenset(route.methods))
            for route in api.router.routes
            if isinstance(route, Route) and route.methods and route.endpoint is not unknown_api_request
        ]
        api.state.served_methods = served
    return served


def allowed_methods(api: FastAPI, path: str) -> list[str]:
    """The methods the API serves at ``path`` (every route, documented or not), sorted.

    A documented literal path (``/tasks/templates``) is served by its own methods only: the
    parametrised path beside it (``/tasks/{task_id}``) does not take it (see ``_literal_guards``).
    """
    literal = api.openapi().get("paths", {}).get(path)
    if literal is not None:
        return sorted(m.upper() for m in literal if m.upper() in ANY_METHOD)
    methods: set[str] = set()
    for regex, served in _served(api):
        if regex.fullmatch(path):
            methods |= served
    return sorted(methods)


def _literal_guards(api: FastAPI) -> list[Route]:
    """Routes answering 405 where a parametrised route would take a documented literal path as an id.

    Without them ``PATCH /tasks/templates`` would reach ``PATCH /tasks/{task_id}`` and answer
    "task not found", though the document says ``/tasks/templates`` is GET only.
    """
    paths = api.openapi().get("paths", {})
    guards = []
    for path, item in paths.items():
        if "{" in path:
            continue
        served = {m.upper() for m in item}
        shadowed = {
            m.upper()
            for other, methods in paths.items()
            if "{" in other and _path_regex(other).fullmatch(path)
            for m in methods
        } - served
        if shadowed:
            guards.append(Route(path, unknown_api_request, methods=sorted(shadowed), include_in_schema=False))
    return guards


def _method_not_allowed(request: Request, allow: list[str]) -> JSONResponse:
    response = errors.error_response(
        405,
        f"{request.method} is not allowed on {request.scope['path']!r}; use {', '.join(allow)}.",
        "method_not_allowed",
    )
    response.headers["Allow"] = ", ".join(allow)
    return response


async def unknown_api_request(request: Request) -> JSONResponse:
    """405 with ``Allow`` when the path is served with other methods, else 404."""
    allow = allowed_methods(request.app, request.scope["path"])
    if allow:
        return _method_not_allowed(request, allow)
    return errors.error_response(
        404, f"No API route {request.method} {request.scope['path']!r}.", "not_found"
    )


async def _router_405(request: Request, _exc: Exception) -> JSONResponse:
    # The router's own 405 (a method no route knows) names one route's methods: name them all.
    return _method_not_allowed(request, allowed_methods(request.app, request.scope["path"]))


def install(api: FastAPI) -> None:
    """Route every ``/api/...`` request no other route takes to :func:`unknown_api_request` (last)."""
    api.router.routes[0:0] = _literal_guards(api)
    api.router.routes.append(
        Route("/api/{path:any}", unknown_api_request, methods=ANY_METHOD, include_in_schema=False)
    )
    api.add_exception_handler(405, _router_405)
