"""DomainError: the one way a service says "no", with a stable code and a message for people.

The API maps it to ``{"code", "message", "details"}`` with the error's HTTP status; pages show
the message as a form error. Messages are in Bahasa Indonesia (the msgid) and translated.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(DomainError):
    status = 422
    default_code = "validation_error"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    default_code = "forbidden"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class AuthenticationFailed(DomainError):
    status = 401
    default_code = "unauthenticated"


class Throttled(DomainError):
    status = 429
    default_code = "too_many_attempts"
