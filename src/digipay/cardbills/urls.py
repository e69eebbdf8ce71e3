from django.urls import path

from digipay.cardbills import views

app_name = "cardbills"

urlpatterns = [
    path("tagihan-kkp/", views.bill_list_view, name="list"),
    path("tagihan-kkp/ambil/", views.fetch_view, name="fetch"),
    path("tagihan-kkp/<int:bill_id>/", views.bill_detail_view, name="detail"),
    path("tagihan-kkp/<int:bill_id>/lembar-verifikasi/", views.sheet_view, name="sheet"),
    path("tagihan-kkp/<int:bill_id>/verifikasi/", views.verify_view, name="verify"),
    path("tagihan-kkp/<int:bill_id>/sanggah/", views.dispute_view, name="dispute"),
    path("tagihan-kkp/<int:bill_id>/bayar/", views.pay_view, name="pay"),
    path("tagihan-kkp/<int:bill_id>/ambil-ulang/", views.refetch_view, name="refetch"),
]
