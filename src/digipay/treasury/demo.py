"""Demo UP and KKP cards: each demo satker gets Rp500 juta UP (Rp300 juta Tunai + Rp200 juta
KKP, the official worked example) and one card held by its PPK. Idempotent."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind, Role
from digipay.core import clock
from digipay.treasury import services
from digipay.treasury.models import UpAllocation

UP_AMOUNT = 500_000_000
ANNUAL_UP_BUDGET = 6_000_000_000
CARD_LIMIT = 50_000_000


@transaction.atomic
def load() -> None:
    year = clock.today_jakarta().year
    bri = Organisation.objects.get(kind=OrgKind.BANK, code="002")
    for satker in Organisation.objects.filter(
        kind=OrgKind.SATKER, code__in=["415256", "652840", "527010"]
    ).select_related("parent"):
        if UpAllocation.objects.filter(satker=satker).exists():
            continue
        kppn_admin = User.objects.get(organisation=satker.parent, role=Role.KPPN_ADMIN)
        services.record_up(
            kppn_admin,
            satker=satker,
            fiscal_year=year,
            funding_source="RM",
            sp2d_number=f"{year}{satker.code}UP01",
            sp2d_date=date(year, 1, 15),
            annual_budget_idr=ANNUAL_UP_BUDGET,
            amount_idr=UP_AMOUNT,
        )
        admin = User.objects.get(organisation=satker, role=Role.SATKER_ADMIN, is_active=True)
        ppk = User.objects.get(organisation=satker, role=Role.PPK)
        services.issue_kkp_card(
            admin,
            satker=satker,
            cardholder=ppk,
            bank=bri,
            bank_card_ref=f"BRI-KKP-{satker.code}-01",
            last4="4821",
            card_limit_idr=CARD_LIMIT,
            issued_on=date(year, 1, 20),
        )
