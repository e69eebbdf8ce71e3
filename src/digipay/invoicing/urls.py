from django.urls import path

from digipay.invoicing import views

app_name = "invoicing"

urlpatterns = [
    path("tagihan/", views.invoice_list_view, name="list"),
    path("tagihan/setoran-pajak/", views.deposit_list_view, name="deposits"),
    path("tagihan/laporan-pajak/", views.tax_report_view, name="report"),
    path("tagihan/laporan-pajak.xlsx", views.tax_report_xlsx_view, name="report_xlsx"),
    path("tagihan/<int:invoice_id>/", views.invoice_detail_view, name="detail"),
    path(
        "tagihan/<int:invoice_id>/dokumen/<slug:slug>.pdf",
        views.document_pdf_view,
        name="document",
    ),
    path("tagihan/<int:invoice_id>/<slug:slug>/", views.invoice_action_view, name="act"),
]
