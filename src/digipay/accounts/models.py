"""Organisations, users, appointments, delegations, API tokens and tracked sessions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from digipay.accounts.rules import OrgKind, Role


class Province(models.Model):
    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """Any organisation a user can belong to; ``parent`` is the treasury hierarchy.

    Kanwil → DJPb, KPPN → Kanwil, Satker → its paying KPPN. Vendors, banks and audit bodies
    have no parent.
    """

    kind = models.CharField(max_length=12, choices=OrgKind.choices)
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    province = models.ForeignKey(Province, null=True, blank=True, on_delete=models.PROTECT)
    regency = models.CharField(max_length=100, blank=True)
    ministry_code = models.CharField(max_length=3, blank=True, help_text="Kode K/L (satker)")
    address = models.TextField(blank=True)
    # The satker's tax identity (its Bendahara withholds under it): NPWP-16 and NITKU (NPWP-16
    # + 6 digits), printed on the withholding slips; ``rules.clean_npwp16``/``clean_nitku``.
    npwp = models.CharField(max_length=16, blank=True)
    nitku = models.CharField(max_length=22, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="organisation_kind_code"),
        ]
        indexes = [models.Index(fields=["parent", "kind"], name="organisation_parent_kind")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def tenant_id(self) -> int:
        return int(self.pk)


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser):
    """One person in one organisation with one role. The e-mail is the login."""

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("nama lengkap"), max_length=150)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices)
    # Keyed hash of the NIK: identifies the person without storing the number.
    person_key = models.CharField(max_length=64)
    nik_last4 = models.CharField(max_length=4)
    is_active = models.BooleanField(default=True)
    must_change_password = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            # One person holds at most one role in an organisation.
            models.UniqueConstraint(
                fields=["organisation", "person_key"], name="user_one_role_per_person"
            ),
            # A satker has one active admin at a time.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(role=Role.SATKER_ADMIN, is_active=True),
                name="user_one_active_satker_admin",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "role"], name="user_org_role")]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def tenant_id(self) -> int:
        return int(self.organisation_id)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0]

    def audit_state(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "full_name": self.full_name,
            "organisation_id": self.organisation_id,
            "role": self.role,
            "is_active": self.is_active,
        }


class Appointment(models.Model):
    """The KPA's appointment letter on which a KPPN admin registered a satker admin."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="appointment")
    letter_number = models.CharField(max_length=100)
    letter_date = models.DateField()
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.letter_number


class Delegation(models.Model):
    """A time-bounded extra role in a small office, recorded by the satker admin."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    delegate = models.ForeignKey(User, on_delete=models.PROTECT, related_name="delegations")
    role = models.CharField(max_length=20, choices=Role.choices)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    reason = models.TextField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="delegation_period_positive",
            ),
        ]
        indexes = [models.Index(fields=["delegate", "valid_until"], name="delegation_active")]

    def __str__(self) -> str:
        return f"{self.delegate_id}→{self.role}"

    @property
    def tenant_id(self) -> int:
        return int(self.organisation_id)


class AuditorGrant(models.Model):
    """Read access of an auditor to an organisation and everything under it."""

    auditor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="grants")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    valid_until = models.DateField()
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["auditor", "organisation"], name="auditor_grant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.auditor_id}→{self.organisation_id}"


class ApiToken(models.Model):
    """A bearer token for API clients. Only its SHA-256 is stored; it can be revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}…"


class UserSession(models.Model):
    """Which sessions belong to which user, so that disabling a user ends all of them."""

    session_key = models.CharField(max_length=40, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id}"
