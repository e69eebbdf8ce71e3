"""The one NinjaAPI at /api/v1/: routers per app, bearer auth, one error shape.

Every error leaves as ``{"code", "message", "details"}``: DomainError with its own status,
request validation as 422, missing or bad credentials as 401.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from digipay.accounts.api import router as accounts_router
from digipay.accounts.auth import BearerAuth
from digipay.books.api import router as books_router
from digipay.cardbills.api import router as cardbills_router
from digipay.catalog.api import router as catalog_router
from digipay.core.errors import DomainError
from digipay.invoicing.api import router as invoicing_router
from digipay.notifications.api import router as notifications_router
from digipay.orders.api import router as orders_router
from digipay.payments.api import router as payments_router
from digipay.policy.api import router as policy_router
from digipay.replenishment.api import router as replenishment_router
from digipay.tax.api import router as tax_router
from digipay.treasury.api import router as treasury_router
from digipay.vendors.api import router as vendors_router

api = NinjaAPI(
    title="Digipay API",
    version="1",
    description="Marketplace dan pembayaran langsung UP satker kepada UMKM.",
    auth=BearerAuth(),
    urls_namespace="api-v1",
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, details: object
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "details": details}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(
        request,
        422,
        "validation_error",
        _("Data yang dikirim tidak valid."),
        {"errors": exc.errors},
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Token tidak valid atau tidak ada."), {})


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc), {})


api.add_router("/", accounts_router)
api.add_router("/treasury", treasury_router)
api.add_router("/policy", policy_router)
api.add_router("/", vendors_router)
api.add_router("/", catalog_router)
api.add_router("/notifications", notifications_router)
api.add_router("/", orders_router)
api.add_router("/tax", tax_router)
api.add_router("/", invoicing_router)
api.add_router("/", payments_router)
api.add_router("/", cardbills_router)
api.add_router("/", replenishment_router)
api.add_router("/", books_router)
