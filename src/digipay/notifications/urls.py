from django.urls import path

from digipay.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifikasi/", views.inbox_view, name="inbox"),
    path("notifikasi/baca-semua/", views.read_all_view, name="read_all"),
    path("notifikasi/<int:pk>/baca/", views.read_view, name="read"),
]
