"""Reads for vendors: who sees which vendors, registries with filters, Suket expiry."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from digipay.accounts import queries as account_queries
from digipay.accounts.models import User
from digipay.accounts.permissions import require
from digipay.accounts.rules import Role
from digipay.core.errors import NotFound
from digipay.vendors import rules
from digipay.vendors.models import (
    Vendor,
    VendorBankAccount,
    VendorDecision,
    VendorDocument,
    VendorInvitation,
)
from digipay.vendors.rules import SuketStatus, VendorStatus

VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.VENDOR_STAFF, Role.VENDOR_COURIER})


def _base() -> QuerySet[Vendor]:
    return Vendor.objects.select_related(
        "organisation", "partner_satker", "partner_satker__parent", "province"
    )


def vendor_of(user: User) -> Vendor:
    """The vendor a vendor user works for."""
    vendor = _base().filter(organisation_id=user.organisation_id).first()
    if vendor is None or user.role not in VENDOR_ROLES:
        raise NotFound(_("Data vendor tidak ditemukan."))
    return vendor


def visible_vendor(actor: User, vendor_id: int) -> Vendor:
    """One vendor's full profile for the actor: found inside its scope, then the gate on the
    vendor itself (its own users) or on its partner view (the satker side and overseers)."""
    vendor = visible_vendors(actor).filter(pk=vendor_id).first()
    if vendor is None:
        raise NotFound(_("Data tidak ditemukan."))
    require(
        actor,
        "vendor.view",
        vendor if vendor.organisation_id == actor.organisation_id else vendor.partner_view(),
    )
    return vendor


def visible_vendors(actor: User) -> QuerySet[Vendor]:
    """The vendors whose full profile the actor may see: its own (vendor users), those of its
    satker as partner (satker users), of the satkers under it (KPPN, Kanwil), all (DJPb), and
    those of its grants (auditors)."""
    if actor.role in VENDOR_ROLES:
        return _base().filter(organisation_id=actor.organisation_id)
    if actor.role == Role.DJPB_ADMIN:
        return _base()
    reachable = account_queries.reachable_organisations(actor, read_only=True)
    return _base().filter(partner_satker__in=reachable)


def registry(
    actor: User,
    *,
    status: str = "",
    province: str = "",
    umkm_class: str = "",
    partner: int | None = None,
    q: str = "",
    suket: str = "",
    today: date | None = None,
) -> QuerySet[Vendor]:
    """The vendor registry pages and the API list, with their filters."""
    vendors = visible_vendors(actor)
    if status:
        vendors = vendors.filter(status=status)
    if province:
        vendors = vendors.filter(province_id=province)
    if umkm_class:
        vendors = vendors.filter(umkm_class=umkm_class)
    if partner:
        vendors = vendors.filter(partner_satker_id=partner)
    if q:
        vendors = vendors.filter(Q(business_name__icontains=q) | Q(organisation__code__iexact=q))
    if suket == "expiring" and today is not None:
        vendors = suket_expiring_among(vendors, on=today)
    elif suket == "expired" and today is not None:
        vendors = vendors.filter(suket_status=SuketStatus.VERIFIED, suket_valid_until__lt=today)
    return vendors.order_by("business_name", "id")


def verification_queue(actor: User) -> QuerySet[Vendor]:
    """Vendors (or Sukets) waiting for the actor's satker to check them, oldest first."""
    return (
        _base()
        .filter(partner_satker_id=actor.organisation_id)
        .filter(Q(status=VendorStatus.PENDING) | Q(suket_status=SuketStatus.PENDING))
        .exclude(status=VendorStatus.SUSPENDED)
        .order_by("submitted_at", "id")
    )


def suket_expiring_among(vendors: QuerySet[Vendor], *, on: date) -> QuerySet[Vendor]:
    return vendors.filter(
        status=VendorStatus.VERIFIED,
        suket_status=SuketStatus.VERIFIED,
        suket_valid_until__gte=on,
        suket_valid_until__lt=on + timedelta(days=rules.SUKET_REMINDER_DAYS),
    )


def suket_expiring(*, on: date) -> QuerySet[Vendor]:
    return suket_expiring_among(_base(), on=on)


def bank_accounts(vendor: Vendor) -> QuerySet[VendorBankAccount]:
    return VendorBankAccount.objects.filter(vendor=vendor, removed_at__isnull=True)


def primary_account(vendor: Vendor) -> VendorBankAccount | None:
    """Where payments go: the primary account, only once the bank confirmed its name."""
    account = bank_accounts(vendor).filter(is_primary=True).first()
    return account if account is not None and account.usable else None


def documents(vendor: Vendor) -> QuerySet[VendorDocument]:
    return VendorDocument.objects.filter(vendor=vendor, is_current=True)


def decisions(vendor: Vendor) -> QuerySet[VendorDecision]:
    return VendorDecision.objects.filter(vendor=vendor).select_related("actor")


def invitations_of(actor: User) -> QuerySet[VendorInvitation]:
    return VendorInvitation.objects.filter(satker_id=actor.organisation_id).select_related(
        "vendor", "invited_by"
    )


def sellers() -> QuerySet[Vendor]:
    """Vendors that may publish products and receive orders."""
    return _base().filter(status=VendorStatus.VERIFIED, organisation__is_active=True)


def visible_vendors_all() -> QuerySet[Vendor]:
    """Every vendor with what its answers need (callers have checked the gate)."""
    return _base()
