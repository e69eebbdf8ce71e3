from django.urls import path

from digipay.vendors import views

app_name = "vendors"

urlpatterns = [
    path("vendor/daftar/", views.register_view, name="register"),
    path("vendor/daftar/selesai/", views.registered_view, name="registered"),
    path("vendor/daftar/<str:token>/", views.register_invited_view, name="register_invited"),
    path("vendor/profil/", views.profile_view, name="profile"),
    path("vendor/profil/ajukan-ulang/", views.resubmit_view, name="resubmit"),
    path("vendor/profil/dokumen/", views.upload_document_view, name="upload_document"),
    path("vendor/rekening/", views.bank_accounts_view, name="bank_accounts"),
    path(
        "vendor/rekening/<int:account_id>/<slug:action>/",
        views.bank_account_action_view,
        name="bank_account_action",
    ),
    path("vendor/undangan/", views.invitations_view, name="invitations"),
    path(
        "vendor/undangan/<int:invitation_id>/cabut/",
        views.revoke_invitation_view,
        name="revoke_invitation",
    ),
    path("vendor/verifikasi/", views.verification_queue_view, name="verification_queue"),
    path("vendor/registri/", views.registry_view, name="registry"),
    path("vendor/<int:vendor_id>/", views.vendor_detail_view, name="detail"),
    path(
        "vendor/<int:vendor_id>/dokumen/<int:document_id>/",
        views.document_view,
        name="document",
    ),
    path(
        "vendor/<int:vendor_id>/<slug:decision>/",
        views.vendor_decision_view,
        name="decision",
    ),
]
