"""Per-request context (request id, client IP) that the audit log and the logs pick up."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_current: ContextVar[RequestContext] = ContextVar("digipay_request", default=RequestContext())  # noqa: B039 - frozen


def current() -> RequestContext:
    return _current.get()


def bind(ctx: RequestContext) -> object:
    return _current.set(ctx)


def unbind(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
