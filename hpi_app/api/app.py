"""The FastAPI application serving the HPI API under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from hpi_app.api import errors, fallback, openapi
from hpi_app.api.bodies import RequestText
from hpi_app.api.limits import BodyLimitMiddleware
from hpi_app.api.routes import (
    deliveries,
    events,
    files,
    links,
    process_links,
    processes,
    session,
    task_changes,
    tasks,
)
from hpi_app.api.security_headers import SecurityHeadersMiddleware
from hpi_app.core.events import bus
from hpi_app.mcp.server import door as mcp_door
from hpi_app.routes import MCP_PATH

API_PREFIX = "/api/v1"


def create_api() -> FastAPI:
    """Build the API application, with the MCP door at ``/mcp`` (the Reflex app mounts itself beneath it)."""
    api = FastAPI(
        title="HPI API",
        version="1.0.0",
        description=(
            "Human-in-the-loop tasks: create a task, let a person complete it, get the answer by "
            "long-poll, poll or push. Authenticate with `Authorization: Bearer htk_...`. "
            "Text anywhere in a request (path, query, body) must not contain NUL (`\\u0000`): "
            "such a request is refused with 400 naming where it is."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    errors.install(api)
    api.add_middleware(RequestText)  # inside the body limit, which sees the bytes as sent
    api.add_middleware(BodyLimitMiddleware)
    api.add_middleware(SecurityHeadersMiddleware)
    v1 = APIRouter(prefix=API_PREFIX)
    v1.include_router(tasks.router)
    v1.include_router(task_changes.router)
    v1.include_router(links.router)
    v1.include_router(files.router)
    v1.include_router(events.router)
    v1.include_router(deliveries.router)
    v1.include_router(processes.router)
    v1.include_router(process_links.router)

    @v1.get("/health", tags=["meta"], summary="Liveness")
    async def health() -> dict:
        # Which worker answered and whether its bus reaches the others (for operators and tests).
        return {"status": "ok", "worker": bus.origin, "bus": bus.bridge_status}

    api.include_router(v1)
    api.include_router(session.router)
    # The MCP door (Streamable HTTP) on the same port; its session manager runs in the app's
    # lifespan (hpi_app.mcp.server.run_mcp_sessions).
    api.add_route(MCP_PATH, mcp_door, methods=["GET", "POST", "DELETE"], include_in_schema=False)

    openapi.install(api)
    fallback.install(api)
    return api
