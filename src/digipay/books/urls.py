from django.urls import path

from digipay.books import views

app_name = "books"

urlpatterns = [
    path("pembukuan/", views.index_view, name="index"),
    path("pembukuan/buku/<slug:slug>/", views.book_view, name="book"),
    path("pembukuan/buku/<slug:slug>/pdf/", views.book_pdf_view, name="book_pdf"),
    path("pembukuan/buku/<slug:slug>/xlsx/", views.book_xlsx_view, name="book_xlsx"),
    path("pembukuan/lpj/", views.lpj_view, name="lpj"),
    path("pembukuan/lpj/pdf/", views.lpj_pdf_view, name="lpj_pdf"),
    path("rekonsiliasi/", views.case_list_view, name="cases"),
    path("rekonsiliasi/ulang/", views.rerun_view, name="rerun"),
    path("rekonsiliasi/<int:case_id>/", views.case_detail_view, name="case_detail"),
]
