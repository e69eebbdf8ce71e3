from django.urls import path

from digipay.catalog import views

app_name = "catalog"

urlpatterns = [
    path("katalog/", views.search_view, name="search"),
    path("katalog/facet/", views.facets_view, name="facets"),
    path("katalog/produk/<int:product_id>/", views.product_view, name="product"),
    path("katalog/toko/<int:vendor_id>/", views.store_view, name="store"),
    path("katalog/gambar/<int:image_id>/<str:size>/", views.image_view, name="image"),
    path("katalog/produk-saya/", views.my_products_view, name="my_products"),
    path("katalog/produk-saya/baru/", views.product_create_view, name="product_create"),
    path("katalog/produk-saya/<int:product_id>/", views.product_edit_view, name="product_edit"),
    path(
        "katalog/produk-saya/<int:product_id>/status/",
        views.product_state_view,
        name="product_state",
    ),
    path(
        "katalog/produk-saya/<int:product_id>/gambar/",
        views.image_add_view,
        name="image_add",
    ),
    path(
        "katalog/produk-saya/<int:product_id>/gambar/<int:image_id>/hapus/",
        views.image_remove_view,
        name="image_remove",
    ),
    path("katalog/impor/", views.import_view, name="import"),
    path("katalog/ekspor/<str:fmt>/", views.export_view, name="export"),
]
