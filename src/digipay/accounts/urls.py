from django.urls import path

from digipay.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("masuk/", views.login_view, name="login"),
    path("masuk/verifikasi/", views.otp_verify_view, name="otp_verify"),
    path("masuk/aktifkan-2fa/", views.otp_enrol_view, name="otp_enrol"),
    path("keluar/", views.logout_view, name="logout"),
    path("kata-sandi/", views.password_change_view, name="password_change"),
    path("pengguna/", views.user_list_view, name="user_list"),
    path("pengguna/baru/", views.user_create_view, name="user_create"),
    path("pengguna/<int:user_id>/", views.user_detail_view, name="user_detail"),
    path("satker/", views.satker_list_view, name="satker_list"),
    path("satker/baru/", views.satker_create_view, name="satker_create"),
    path(
        "satker/<int:satker_id>/admin/",
        views.satker_admin_register_view,
        name="satker_admin_register",
    ),
    path("delegasi/", views.delegation_list_view, name="delegation_list"),
]
