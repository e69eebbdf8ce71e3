from django.urls import path

from digipay.payments import views

app_name = "payments"

urlpatterns = [
    path("pembayaran/", views.payment_list_view, name="list"),
    path("pembayaran/bayar/", views.pay_view, name="pay"),
    path("pembayaran/setoran-pajak/", views.deposit_list_view, name="deposits"),
    path(
        "pembayaran/setoran-pajak/<int:request_id>/bukti/",
        views.deposit_proof_view,
        name="deposit_proof",
    ),
    path("pembayaran/pengembalian/", views.refund_list_view, name="refunds"),
    path("pembayaran/pengembalian/<int:refund_id>/", views.refund_detail_view, name="refund"),
    path(
        "pembayaran/pengembalian/baru/<int:invoice_id>/",
        views.refund_new_view,
        name="refund_new",
    ),
    path("pembayaran/<int:payment_id>/", views.payment_detail_view, name="detail"),
]
