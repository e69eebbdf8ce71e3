"""URL map: pages per app, the API at /api/v1/, language switching."""

from django.urls import include, path

from digipay.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("digipay.integrations.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("digipay.accounts.urls")),
    path("", include("digipay.treasury.urls")),
    path("", include("digipay.policy.urls")),
    path("", include("digipay.vendors.urls")),
    path("", include("digipay.catalog.urls")),
    path("", include("digipay.orders.urls")),
    path("", include("digipay.invoicing.urls")),
    path("", include("digipay.payments.urls")),
    path("", include("digipay.cardbills.urls")),
    path("", include("digipay.replenishment.urls")),
    path("", include("digipay.books.urls")),
    path("", include("digipay.notifications.urls")),
]
