from django.urls import path

from digipay.treasury import views

app_name = "treasury"

urlpatterns = [
    path("up/", views.my_up_view, name="my_up"),
    path("up/<int:satker_id>/", views.up_position_view, name="up_position"),
    path("up/<int:satker_id>/buku-besar/", views.ledger_view, name="ledger"),
    path("buku-besar/entri/<int:entry_id>/", views.entry_view, name="entry"),
    path("up/<int:satker_id>/catat-up/", views.record_up_view, name="record_up"),
    path("up/<int:satker_id>/catat-tup/", views.record_tup_view, name="record_tup"),
    path("up/<int:satker_id>/pengembalian/", views.return_up_view, name="return_up"),
    path("tup/<int:tup_id>/perpanjang/", views.extend_tup_view, name="extend_tup"),
    path("up/<int:satker_id>/porsi-kkp/", views.kkp_share_view, name="kkp_share"),
    path("kkp/<int:satker_id>/", views.cards_view, name="cards"),
]
