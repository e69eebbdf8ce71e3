"""Vendor profiles, invitations, bank accounts, uploaded documents and the decision history."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.db.models import Q

from digipay.accounts.models import Organisation, Province, User
from digipay.vendors import rules
from digipay.vendors.rules import (
    BankAccountStatus,
    DocumentKind,
    LegalForm,
    LicenceKind,
    SuketStatus,
    UmkmBasis,
    UmkmClass,
    VendorAction,
    VendorStatus,
)


class Vendor(models.Model):
    """The business behind a vendor organisation. Its tenant is the vendor organisation; the
    partner satker (and the KPPN paying it) reach it through ``partner_view``."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="vendor_profile"
    )
    partner_satker = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="partner_vendors"
    )
    status = models.CharField(
        max_length=10, choices=VendorStatus.choices, default=VendorStatus.PENDING
    )
    status_before_suspension = models.CharField(max_length=10, blank=True)
    # Owner: the NIK itself is not kept (UU 27/2022: minimise); its keyed hash identifies the
    # person and blocks a second registration, the last four digits help people recognise it.
    owner_name = models.CharField(max_length=150)
    owner_person_key = models.CharField(max_length=64, unique=True)
    owner_nik_last4 = models.CharField(max_length=4)
    email = models.EmailField()
    phone = models.CharField(max_length=16)
    business_name = models.CharField(max_length=200)
    legal_form = models.CharField(max_length=14, choices=LegalForm.choices)
    licence_kind = models.CharField(max_length=10, choices=LicenceKind.choices)
    licence_number = models.CharField(max_length=60)
    kbli_codes = models.JSONField(default=list)
    address = models.TextField()
    province = models.ForeignKey(Province, on_delete=models.PROTECT)
    regency = models.CharField(max_length=100)
    npwp = models.CharField(max_length=16)
    is_pkp = models.BooleanField(default=False)
    umkm_basis = models.CharField(max_length=8, choices=UmkmBasis.choices)
    umkm_amount_idr = models.BigIntegerField()
    umkm_class = models.CharField(max_length=8, choices=UmkmClass.choices)
    suket_number = models.CharField(max_length=60, blank=True)
    suket_valid_from = models.DateField(null=True, blank=True)
    suket_valid_until = models.DateField(null=True, blank=True)
    suket_status = models.CharField(
        max_length=8, choices=SuketStatus.choices, default=SuketStatus.NONE
    )
    suket_reminded_for = models.DateField(null=True, blank=True)
    rejection_reasons = models.TextField(blank=True)
    suspension_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["business_name", "id"]
        indexes = [
            models.Index(fields=["partner_satker", "status"], name="vendor_partner_status"),
            models.Index(fields=["province", "status"], name="vendor_province_status"),
            models.Index(fields=["status", "suket_valid_until"], name="vendor_suket_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(umkm_amount_idr__gte=0), name="vendor_umkm_amount_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(suket_valid_from__isnull=True)
                | Q(suket_valid_until__gte=models.F("suket_valid_from")),
                name="vendor_suket_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.business_name

    @property
    def tenant_id(self) -> int:
        return int(self.organisation_id)

    @property
    def can_sell(self) -> bool:
        return rules.can_sell(status=self.status, organisation_active=self.organisation.is_active)

    @property
    def has_npwp(self) -> bool:
        return rules.has_npwp(self.npwp)

    def suket(self) -> rules.Suket:
        return rules.Suket(
            self.suket_number, self.suket_valid_from, self.suket_valid_until, self.suket_status
        )

    def suket_state(self, on: date) -> str:
        return rules.suket_state(self.suket(), on)

    def suket_valid_on(self, on: date) -> bool:
        return rules.suket_valid_on(self.suket(), on)

    def partner_view(self) -> PartnerView:
        return PartnerView(self)

    def audit_state(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "business_name": self.business_name,
            "legal_form": self.legal_form,
            "licence_kind": self.licence_kind,
            "licence_number": self.licence_number,
            "kbli_codes": list(self.kbli_codes),
            "province_id": self.province_id,
            "regency": self.regency,
            "npwp": rules.mask(self.npwp),
            "is_pkp": self.is_pkp,
            "umkm_class": self.umkm_class,
            "suket_number": self.suket_number,
            "suket_valid_from": self.suket_valid_from.isoformat() if self.suket_valid_from else "",
            "suket_valid_until": (
                self.suket_valid_until.isoformat() if self.suket_valid_until else ""
            ),
            "suket_status": self.suket_status,
            "partner_satker_id": self.partner_satker_id,
        }


class PartnerView:
    """The vendor as seen by its partner satker: the gate's tenant is the satker, so the
    satker's Pejabat Pengadaan and PPK, the KPPN above it and DJPb reach it, no one else."""

    def __init__(self, vendor: Vendor) -> None:
        self.vendor = vendor
        self.pk = vendor.pk

    @property
    def tenant_id(self) -> int:
        return int(self.vendor.partner_satker_id)


class VendorInvitation(models.Model):
    """A Pejabat Pengadaan's e-mail invitation: the link carries a token whose hash is kept."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    business_name = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"undangan {self.pk} ({self.satker_id})"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)


class VendorBankAccount(models.Model):
    """An account payments may go to, once the bank's name for it matches the holder name."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="bank_accounts")
    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=20)
    holder_name = models.CharField(max_length=150)
    status = models.CharField(
        max_length=12, choices=BankAccountStatus.choices, default=BankAccountStatus.UNCHECKED
    )
    bank_name_returned = models.CharField(max_length=150, blank=True)
    check_message = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    is_primary = models.BooleanField(default=False)
    # Asked to be primary while another usable account is: promoted once its name is confirmed.
    promote_when_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "bank_code", "account_no"],
                condition=Q(removed_at__isnull=True),
                name="vendor_bank_account_unique",
            ),
            models.UniqueConstraint(
                fields=["vendor"],
                condition=Q(is_primary=True, removed_at__isnull=True),
                name="vendor_one_primary_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_code} {self.masked_account_no}"

    @property
    def tenant_id(self) -> int:
        return int(self.vendor.organisation_id)

    @property
    def usable(self) -> bool:
        return self.status == BankAccountStatus.VERIFIED and self.removed_at is None

    @property
    def masked_account_no(self) -> str:
        return rules.mask(self.account_no)


class VendorDocument(models.Model):
    """An uploaded licence or Suket file. Never served publicly: a permission-checked view
    streams it to the vendor, its partner satker and the KPPN."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    file = models.FileField(upload_to="vendor-docs/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "kind"], condition=Q(is_current=True), name="vendor_doc_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"

    @property
    def tenant_id(self) -> int:
        return int(self.vendor.organisation_id)


class VendorDecision(models.Model):
    """The verification history shown on the vendor's page (the audit chain holds the same)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(max_length=10, choices=VendorAction.choices)
    from_status = models.CharField(max_length=10, choices=VendorStatus.choices)
    to_status = models.CharField(max_length=10, choices=VendorStatus.choices)
    reasons = models.TextField(blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.vendor_id}"
