"""A test-only API for the idempotency tests: a tiny router on its own NinjaAPI, served by
this module's ``urlpatterns`` (the tests switch ROOT_URLCONF to it). Nothing here is mounted
on the production API.

``pay`` is a stand-in for a payment: it counts its executions in a real table (one
``Notification`` row per committed run, in a transaction) and can be told to take a while,
to wait on an event, to refuse (a DomainError), to crash (an unexpected exception, rolled
back) or to return a body that does not fit its response schema.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.urls import path
from ninja import File, Form, NinjaAPI, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile

from digipay.accounts.auth import BearerAuth
from digipay.accounts.models import User
from digipay.config.api import on_auth_error, on_domain_error, on_http_error, on_validation_error
from digipay.core.errors import DomainError, ValidationFailed
from digipay.idempotency.decorators import idempotent
from digipay.notifications.models import Notification

PREFIX = "/api/idem-test"
TITLE = "idem-test"


@dataclass
class Hooks:
    """How the endpoints behave in the current test; reset by the ``hooks`` fixture."""

    delay: float = 0.0
    gate: threading.Event | None = None
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def called(self) -> None:
        with self.lock:
            self.calls += 1


hooks = Hooks()


def executions() -> int:
    return Notification.objects.filter(title__startswith=TITLE).count()


class PayIn(Schema):
    amount_idr: int
    note: str = ""
    outcome: Literal["ok", "refuse", "http_error", "crash", "bad_body"] = "ok"


class PayOut(Schema):
    id: int
    amount_idr: int
    note: str
    executions: int


router = Router()


def _pay(request: HttpRequest, payload: PayIn) -> Status[Any]:
    hooks.called()
    if hooks.gate is not None:
        assert hooks.gate.wait(timeout=30), "the test never opened the gate"
    if hooks.delay:
        time.sleep(hooks.delay)
    if payload.outcome == "refuse":
        raise ValidationFailed("Jumlah ditolak.", code="amount_refused", details={"n": 1})
    if payload.outcome == "http_error":
        raise HttpError(503, "Bank tidak tersedia.")
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    with transaction.atomic():
        row = Notification.objects.create(
            recipient=user,
            tenant_id=user.organisation_id,
            title=f"{TITLE} {payload.amount_idr}",
            body=payload.note,
            wants_email=False,
        )
        if payload.outcome == "crash":
            raise RuntimeError("the handler crashed")
    if payload.outcome == "bad_body":
        return Status(201, {"id": "bukan angka"})
    return Status(
        201,
        {
            "id": row.pk,
            "amount_idr": payload.amount_idr,
            "note": payload.note,
            "executions": executions(),
        },
    )


@router.post("/pay", response={201: PayOut})
@idempotent()
def pay(request: HttpRequest, payload: PayIn) -> Status[Any]:
    """A payment stand-in (see the module docstring)."""
    return _pay(request, payload)


@router.post("/items/{item_id}/pay", response={201: PayOut})
@idempotent()
def pay_item(request: HttpRequest, item_id: int, payload: PayIn) -> Status[Any]:
    return _pay(request, payload)


@router.post("/confirm", response={201: PayOut})
@idempotent(ignore_fields=("otp",))
def confirm(request: HttpRequest, payload: PayIn) -> Status[Any]:
    """Like ``pay``, with a one-time code in the body that a retry may renew."""
    return _pay(request, payload)


@router.post("/optional", response={200: dict[str, int]})
@idempotent(required=False)
def optional(request: HttpRequest, payload: PayIn) -> dict[str, int]:
    hooks.called()
    return {"calls": hooks.calls}


@router.post("/upload", response={201: dict[str, Any]})
@idempotent()
def upload(request: HttpRequest, note: Form[str], file: File[UploadedFile]) -> Status[Any]:
    hooks.called()
    return Status(201, {"note": note, "size": file.size, "calls": hooks.calls})


api = NinjaAPI(
    title="Idempotency test API",
    version="test",
    auth=BearerAuth(),
    urls_namespace="idempotency-test",
)
api.add_exception_handler(DomainError, on_domain_error)
api.add_exception_handler(NinjaValidationError, on_validation_error)
api.add_exception_handler(AuthenticationError, on_auth_error)
api.add_exception_handler(HttpError, on_http_error)
api.add_router("/", router)

urlpatterns = [path(PREFIX.strip("/") + "/", api.urls)]
