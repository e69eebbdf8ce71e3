"""``@idempotent()``: the Idempotency-Key header on a django-ninja endpoint.

Put it **under** the router decorator::

    @router.post("/payments", response={201: PaymentOut})
    @idempotent()
    def pay(request: HttpRequest, payload: PaymentIn) -> Status[Payment]:
        ...

It runs after authentication and request validation (a request ninja refuses with 401 or 422
never touches the key) and wraps the handler:

- no header: 400 ``idempotency_key_required`` (``required=True``, the default) or the handler
  runs unprotected (``required=False``); a malformed key: 400 ``idempotency_key_invalid``;
- first use of the key: the handler runs; its response — success, a ``DomainError`` or
  ``HttpError`` answer, whatever status it returned — is stored exactly as sent;
- the same request again: the stored response, byte for byte, with ``Idempotent-Replayed:
  true``; another request under the key: 422 ``idempotency_key_reused``; the first still
  running: 409 ``idempotency_in_progress`` with ``Retry-After: 1``;
- the handler raised anything else (a bug, a lost database): the claim is released, so a retry
  runs again. Handlers must therefore be all-or-nothing (one transaction, the write pattern):
  an unexpected exception must leave no effect behind.

The header and the extra answers are added to the endpoint's OpenAPI description. Two
cooperating wrappers do the work: the view wrapper claims the key (it needs ``request.auth``,
which ninja sets after authentication), and a wrapper around the operation's ``run`` stores
the rendered response (only there do the bytes exist, after ninja serialised the result or
turned an exception into the error shape).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.signature.utils import get_typed_signature
from ninja.utils import contribute_operation_callback

from digipay.accounts.models import User
from digipay.core.errors import AuthenticationFailed, DomainError
from digipay.idempotency import rules, services

logger = logging.getLogger("digipay.idempotency")

F = TypeVar("F", bound=Callable[..., Any])
Run = Callable[..., HttpResponseBase]

_FLIGHT = "_digipay_idempotency"
_RETRY = "_digipay_idempotency_retry"
# Exceptions that are answers (the API renders them as 4xx): their response is stored.
ANSWERS: tuple[type[BaseException], ...] = (DomainError, HttpError, NinjaValidationError)


@dataclass
class _Flight:
    claim: services.Claim
    handler: Literal["running", "returned", "failed"] = "running"


def idempotent(
    *,
    required: bool = True,
    lease: timedelta | None = None,
    ignore_fields: Collection[str] = (),
) -> Callable[[F], F]:
    """Make a ninja endpoint honour ``Idempotency-Key`` (see the module docstring).

    ``lease``: how long a running request keeps the key before a retry may take it over as
    crashed (default ``IDEMPOTENCY_LEASE_MINUTES``, 5 minutes); give a longer one to a handler
    that may legitimately run longer. ``ignore_fields``: top-level JSON fields left out of the
    request fingerprint, for values a client may renew between retries of one operation (a
    TOTP code: ``ignore_fields=("otp",)``); a replay then answers without checking them again,
    which is safe only because the replay performs nothing and goes to the same user.
    """
    ignored = frozenset(ignore_fields)

    def decorate(view: F) -> F:
        if inspect.iscoroutinefunction(view):
            raise ImproperlyConfigured("@idempotent supports synchronous endpoints only")

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            outcome = _claim(request, required=required, lease=lease, ignore=ignored)
            if outcome is None:
                return view(request, *args, **kwargs)
            if isinstance(outcome, services.StoredResponse):
                return replay(outcome)
            flight = _Flight(outcome)
            setattr(request, _FLIGHT, flight)
            try:
                result = view(request, *args, **kwargs)
            except ANSWERS:
                flight.handler = "returned"
                raise
            except BaseException:
                flight.handler = "failed"
                raise
            flight.handler = "returned"
            return result

        # ninja reads the wrapper's signature (through ``__wrapped__``) but resolves string
        # annotations (``from __future__ import annotations``) in the wrapper's module, where
        # the endpoint's schemas are unknown: hand it the signature resolved in the view's.
        wrapper.__signature__ = get_typed_signature(view)  # type: ignore[attr-defined]
        contribute_operation_callback(wrapper, functools.partial(_document, required=required))
        return decorate_view(_settling)(wrapper)  # type: ignore[return-value]

    return decorate


def replay(stored: services.StoredResponse) -> HttpResponse:
    response = HttpResponse(
        stored.body, status=stored.status, content_type=stored.content_type or None
    )
    response[rules.REPLAY_HEADER] = "true"
    return response


def request_body(request: HttpRequest) -> bytes:
    """The raw body; for a multipart upload (whose stream Django has consumed) the form fields
    and each file's name, size and SHA-256, as canonical JSON."""
    try:
        return request.body
    except RawPostDataException:
        pass
    files = []
    for field, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            files.append([field, upload.name, upload.size, digest.hexdigest()])
    form = sorted((field, value) for field, values in request.POST.lists() for value in values)
    return rules.canonical_json({"form": form, "files": files}).encode()


def _claim(
    request: HttpRequest, *, required: bool, lease: timedelta | None, ignore: frozenset[str]
) -> services.Claim | services.StoredResponse | None:
    raw = request.headers.get(rules.HEADER)
    if raw is None:
        if required:
            raise services.key_required()
        return None
    key = rules.parse_key(raw)
    if key is None:
        raise services.key_invalid()
    user = getattr(request, "auth", None)
    if not isinstance(user, User) or user.pk is None:
        raise AuthenticationFailed(_("Token tidak valid atau tidak ada."))
    method = request.method or ""
    query = [(name, value) for name, values in request.GET.lists() for value in values]
    fingerprint = rules.fingerprint(
        method=method,
        path=request.path,
        caller=user.pk,
        body=request_body(request),
        query=query,
        ignore=ignore,
    )
    try:
        return services.claim(
            user, key=key, fingerprint=fingerprint, method=method, path=request.path, lease=lease
        )
    except DomainError as exc:
        if exc.code == "idempotency_in_progress":
            setattr(request, _RETRY, True)
        raise


def _settling(run: Run) -> Run:
    """Wrap the operation's ``run``: store or release the claim once the response exists."""

    @functools.wraps(run)
    def settle(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            flight = _pop(request)
            if flight is not None:
                _after_exception(flight)
            raise
        flight = _pop(request)
        if flight is not None:
            _after_response(flight, response)
        if getattr(request, _RETRY, False):
            response["Retry-After"] = "1"
        return response

    return settle


def _pop(request: HttpRequest) -> _Flight | None:
    flight = getattr(request, _FLIGHT, None)
    if flight is not None:
        delattr(request, _FLIGHT)
    assert flight is None or isinstance(flight, _Flight)
    return flight


def _after_exception(flight: _Flight) -> None:
    if flight.handler != "returned":
        services.release(flight.claim)
        return
    # The handler finished (and may have committed) but its answer could not be rendered:
    # a retry must not run it again, so the outcome is stored as a plain server error.
    body = rules.canonical_json(
        {
            "code": "server_error",
            "message": _("Terjadi kesalahan pada server."),
            "details": {},
        }
    ).encode()
    _store(flight, status=500, content_type="application/json; charset=utf-8", body=body)


def _after_response(flight: _Flight, response: HttpResponseBase) -> None:
    if flight.handler == "failed":
        # An unexpected exception that ninja rendered (the DEBUG traceback page): release.
        services.release(flight.claim)
        return
    if not isinstance(response, HttpResponse):  # a streaming response cannot be replayed
        logger.warning(
            "idempotency: streaming response not stored record=%s", flight.claim.record_id
        )
        services.release(flight.claim)
        return
    _store(
        flight,
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=bytes(response.content),
    )


def _store(flight: _Flight, *, status: int, content_type: str, body: bytes) -> None:
    try:
        services.complete(flight.claim, status=status, content_type=content_type, body=body)
    except Exception:
        # The work is done and the caller gets its answer; the key stays claimed until its
        # lease runs out (409 meanwhile). Logged with the record id only.
        logger.exception(
            "idempotency: storing the outcome failed record=%s", flight.claim.record_id
        )


def _document(operation: Operation, *, required: bool) -> None:
    """Add the header and the extra answers to the endpoint's OpenAPI description."""
    extra: dict[str, Any] = dict(operation.openapi_extra or {})
    parameter = {
        "in": "header",
        "name": rules.HEADER,
        "required": required,
        "schema": {"type": "string", "minLength": 1, "maxLength": rules.KEY_MAX},
        "description": (
            "One key per operation (a UUID is recommended; 1-255 visible ASCII characters). "
            "The same key with the same request replays the first response (header "
            f"`{rules.REPLAY_HEADER}: true`); with another request: 422 "
            "`idempotency_key_reused`; while the first is still running: 409 "
            "`idempotency_in_progress`. Keys are scoped to the user and kept at least 24 h."
            + ("" if required else " Optional: without it the request is not protected.")
        ),
    }
    extra["parameters"] = [*extra.get("parameters", []), parameter]
    responses: dict[Any, Any] = dict(extra.get("responses", {}))
    answers = {
        400: "`idempotency_key_required` (header missing) or `idempotency_key_invalid`",
        409: "`idempotency_in_progress`: the first request with this key is still running",
        422: "`idempotency_key_reused`: the key was used for another request",
    }
    for status, text in answers.items():
        if status == 400 and not required:
            text = "`idempotency_key_invalid`"
        responses.setdefault(status, {"description": text})
    extra["responses"] = responses
    operation.openapi_extra = extra
