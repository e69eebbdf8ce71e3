from django.urls import path

from digipay.integrations import api

app_name = "integrations"

urlpatterns = [
    path(
        "snap/v1.0/notifications",
        api.bank_notification_view,
        name="bank_notification",
    ),
]
