from django.urls import path

from digipay.payments import views

app_name = "payments"

urlpatterns = [
    path("pembayaran/", views.payment_list_view, name="list"),
    path("pembayaran/bayar/", views.pay_view, name="pay"),
    path("pembayaran/<int:payment_id>/", views.payment_detail_view, name="detail"),
]
