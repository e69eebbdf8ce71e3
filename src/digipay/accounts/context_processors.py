"""The navigation a role sees (links only to what the gate would allow)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from digipay.accounts import rules
from digipay.accounts.rules import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    role = getattr(user, "role", "")
    items: list[tuple[str, Any]] = [(reverse("accounts:home"), _("Beranda"))]
    if rules.role_allows([role], "user.view"):
        items.append((reverse("accounts:user_list"), _("Pengguna")))
    if role in (Role.KPPN_ADMIN, Role.KANWIL_ADMIN, Role.DJPB_ADMIN):
        items.append((reverse("accounts:satker_list"), _("Satker")))
    if role == Role.SATKER_ADMIN:
        items.append((reverse("accounts:delegation_list"), _("Delegasi")))
    if role in rules.SATKER_STAFF_ROLES | {Role.SATKER_ADMIN}:
        items.append((reverse("treasury:my_up"), _("UP")))
    if rules.role_allows([role], "order.view"):
        items.append((reverse("orders:list"), _("Pesanan")))
    if rules.role_allows([role], "invoice.view"):
        items.append((reverse("invoicing:list"), _("Tagihan")))
    if rules.role_allows([role], "invoice.pay"):
        items.append((reverse("payments:list"), _("Pembayaran")))
    if rules.role_allows([role], "tax_deposit.pay"):
        items.append((reverse("payments:deposits"), _("Setoran pajak")))
    if rules.role_allows([role], "refund.view"):
        items.append((reverse("payments:refunds"), _("Pengembalian")))
    if rules.role_allows([role], "card_bill.view"):
        items.append((reverse("cardbills:list"), _("Tagihan KKP")))
    if role in rules.SATKER_STAFF_ROLES and rules.role_allows([role], "spm.view"):
        items.append((reverse("replenishment:overview"), _("Penggantian UP")))
    if rules.role_allows([role], "spm.decide"):
        items.append((reverse("replenishment:kppn_queue"), _("SPM masuk")))
        items.append((reverse("replenishment:sanctions"), _("Sanksi UP")))
    if role in rules.SATKER_STAFF_ROLES and rules.role_allows([role], "books.view"):
        items.append((reverse("books:index"), _("Pembukuan")))
    if rules.role_allows([role], "reconciliation.view"):
        items.append((reverse("books:cases"), _("Rekonsiliasi")))
    if rules.role_allows([role], "order.cart"):
        items.append((reverse("orders:cart"), _("Keranjang")))
    vendor_roles = (Role.VENDOR_ADMIN, Role.VENDOR_STAFF, Role.VENDOR_COURIER)
    if role in vendor_roles:
        if rules.role_allows([role], "vendor.view"):
            items.append((reverse("vendors:profile"), _("Profil")))
            items.append((reverse("vendors:bank_accounts"), _("Rekening")))
        items.append((reverse("catalog:my_products"), _("Produk saya")))
        if rules.role_allows([role], "product.manage"):
            items.append((reverse("catalog:import"), _("Impor")))
    else:
        items.append((reverse("catalog:search"), _("Katalog")))
    if rules.role_allows([role], "vendor.invite"):
        items.append((reverse("vendors:invitations"), _("Undangan vendor")))
    if rules.role_allows([role], "vendor.verify"):
        items.append((reverse("vendors:verification_queue"), _("Verifikasi vendor")))
    if role in (Role.KPPN_ADMIN, Role.KANWIL_ADMIN, Role.DJPB_ADMIN, Role.AUDITOR):
        items.append((reverse("vendors:registry"), _("Registri vendor")))
    items.append((reverse("policy:rules"), _("Kebijakan")))
    return {"nav_items": items}
