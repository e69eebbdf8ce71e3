from django.urls import path

from digipay.orders import views

app_name = "orders"

urlpatterns = [
    # Public: anyone holding a printed Surat Pesanan or BAST may check it (the QR code opens it).
    path("dokumen/cek/", views.check_document_view, name="check_document"),
    path("pesanan/", views.order_list_view, name="list"),
    path("pesanan/keranjang/", views.cart_view, name="cart"),
    path("pesanan/keranjang/tambah/<int:product_id>/", views.cart_add_view, name="cart_add"),
    path("pesanan/keranjang/<int:line_id>/ubah/", views.cart_update_view, name="cart_update"),
    path("pesanan/keranjang/<int:line_id>/hapus/", views.cart_remove_view, name="cart_remove"),
    path("pesanan/keranjang/pesan/", views.cart_checkout_view, name="checkout"),
    path("pesanan/<int:order_id>/", views.order_detail_view, name="detail"),
    path(
        "pesanan/<int:order_id>/surat-pesanan.pdf",
        views.surat_pesanan_pdf_view,
        name="surat_pesanan_pdf",
    ),
    path("pesanan/<int:order_id>/surat-pesanan/", views.surat_pesanan_view, name="surat_pesanan"),
    path("pesanan/<int:order_id>/bast/<int:receipt_id>.pdf", views.bast_pdf_view, name="bast_pdf"),
    path("pesanan/<int:order_id>/bast/<int:receipt_id>/", views.bast_view, name="bast"),
    path("pesanan/<int:order_id>/<slug:slug>/", views.order_action_view, name="act"),
]
