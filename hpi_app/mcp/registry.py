"""What a tool is here: its name, arguments model, scopes and the coroutine that runs it.

Arguments are checked by a Pydantic model (whose JSON Schema is the tool's ``inputSchema``);
a bad argument, a missing scope or any refusal of the core becomes a tool error (``isError``)
whose text names the field or the scope.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
from pydantic import BaseModel, ValidationError

from hpi_app.core.errors import DomainError, InvalidInput
from hpi_app.core.principal import Principal
from hpi_app.core.tokens import require_scope
from hpi_app.validation import error_details


@dataclass
class Call:
    """One running tool call: who calls, the base URL links are built on, and its progress channel.

    Attributes:
        principal: The calling token's identity.
        base_url: The public base URL (``routes.public_base`` of the request).
        report_progress: Sends an MCP progress notification for this call (a no-op when the
            client asked for none).
    """

    principal: Principal
    base_url: str
    report_progress: Callable[[float, str], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    """A tool's result: structured content for agents, a short text for clients that only read text."""

    structured: dict[str, Any]
    text: str


@dataclass(frozen=True)
class ToolDef:
    """One tool.

    Attributes:
        name: The tool's name (HPI's, SPEC §12).
        description: What it does and returns, for the agent that picks it.
        arguments: The Pydantic model of its arguments (its JSON Schema is the input schema).
        run: The coroutine doing the work, given the call and the checked arguments.
        scopes: Scopes the token must all carry.
        any_scope: Alternatives: the token must carry at least one of them (checked after ``scopes``).
        title: A human-readable name.
    """

    name: str
    description: str
    arguments: type[BaseModel]
    run: Callable[[Call, Any], Awaitable[Answer]]
    scopes: tuple[str, ...] = ()
    any_scope: tuple[str, ...] = ()
    title: str = ""
    extra_scopes: Callable[[Any], tuple[str, ...]] = field(default=lambda _args: ())

    def tool(self) -> types.Tool:
        """The tool as ``tools/list`` shows it."""
        return types.Tool(
            name=self.name,
            title=self.title or None,
            description=self.description,
            input_schema=self.arguments.model_json_schema(),
        )

    def check_scopes(self, principal: Principal, args: Any) -> None:
        """Refuse a token without the scopes this call needs (``PermissionDenied`` naming one).

        Called before the arguments are parsed (``args`` None), then with them for the scopes
        that depend on them (``create_task`` with ``wait`` also reads).
        """
        for scope in (*self.scopes, *(self.extra_scopes(args) if args is not None else ())):
            require_scope(principal, scope)
        if self.any_scope and not any(principal.has(s) for s in self.any_scope):
            require_scope(principal, self.any_scope[0])

    def parse(self, arguments: dict[str, Any] | None) -> Any:
        """The checked arguments, or ``InvalidInput`` naming each bad field."""
        try:
            return self.arguments.model_validate(arguments or {})
        except ValidationError as exc:
            details = error_details(exc)
            raise InvalidInput(f"Invalid arguments for {self.name}.", details=details) from None


def error_text(exc: DomainError) -> str:
    """A refusal as one line an agent (or a person reading its log) can act on."""
    text = exc.message
    if exc.details:
        text += " " + "; ".join(f"{d.get('field') or 'arguments'}: {d.get('message')}" for d in exc.details)
    if exc.extra.get("message"):
        text += f": {exc.extra['message']}"
    return text


def error_result(exc: DomainError) -> types.CallToolResult:
    """A tool error (``isError``) for a refusal, with the same body the REST door would answer."""
    body = {"error": exc.message, "code": exc.code, "details": exc.details, **exc.extra}
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=error_text(exc))],
        structured_content=body,
        is_error=True,
    )


def success_result(answer: Answer) -> types.CallToolResult:
    """A tool's result: the short text, then the structured content as JSON for text-only clients."""
    as_json = json.dumps(answer.structured, ensure_ascii=False, default=str)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=f"{answer.text}\n{as_json}")],
        structured_content=answer.structured,
    )


async def in_thread(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run blocking core code in a worker thread (with this context's variables) and await it."""
    return await asyncio.to_thread(func, *args, **kwargs)
