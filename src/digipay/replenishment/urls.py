from django.urls import path

from digipay.replenishment import views

app_name = "replenishment"

urlpatterns = [
    path("penggantian-up/", views.overview_view, name="overview"),
    path("penggantian-up/gup/", views.draft_gup_view, name="draft_gup"),
    path("penggantian-up/gup-kkp/", views.draft_gup_kkp_view, name="draft_gup_kkp"),
    path("penggantian-up/tup/", views.request_tup_view, name="request_tup"),
    path("penggantian-up/tup/<int:tup_id>/ptup/", views.draft_ptup_view, name="draft_ptup"),
    path("penggantian-up/tanda-tangan/", views.sign_queue_view, name="sign_queue"),
    path("penggantian-up/spm/<int:spm_id>/", views.detail_view, name="detail"),
    path("penggantian-up/spm/<int:spm_id>/cetak/", views.print_view, name="print"),
    path("kppn/spm/", views.kppn_queue_view, name="kppn_queue"),
    path("kppn/sanksi/", views.sanctions_view, name="sanctions"),
]
