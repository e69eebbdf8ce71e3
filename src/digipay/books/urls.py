from django.urls import path  # noqa: F401

app_name = "books"

urlpatterns: list[object] = []
