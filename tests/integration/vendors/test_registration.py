"""Vendor registration (DOMAIN.md §3, §8): self-registration naming a partner satker, the
Pejabat Pengadaan's e-mail invitation, the identity checks, the refusals that must leave nothing
behind, and the NIK that can never be edited."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from digipay.accounts.models import Organisation, User
from digipay.accounts.services import person_key
from digipay.audit.models import AuditEvent
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.vendors import services
from digipay.vendors.models import Vendor, VendorDecision, VendorInvitation
from digipay.vendors.rules import SuketStatus, UmkmClass, VendorStatus

from .conftest import (
    PP_A,
    PP_B,
    PPK_A,
    SATKER_A,
    SATKER_B,
    Api,
    admin_of,
    fresh,
    nik,
    register,
    registration_json,
    user,
    verified,
)

pytestmark = pytest.mark.usefixtures("vw")

REGISTER = "/api/v1/vendors/register"
INVITE = "/api/v1/vendors/invitations"


def counts() -> dict[str, int]:
    """What a registration creates: an organisation, its admin, the vendor, audit events."""
    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "vendors": Vendor.objects.count(),
        "audit": AuditEvent.objects.count(),
        "invitations_used": VendorInvitation.objects.filter(accepted_at__isnull=False).count(),
    }


# --- self-registration ------------------------------------------------------------------------


def test_self_registration_creates_org_admin_pending_vendor_and_audit_event() -> None:
    before = counts()
    owner_nik = nik(9001)
    vendor = register(
        owner_nik=owner_nik, business_name="CV  Sinar   Jaya", npwp="01.300.066.6-091.000"
    )
    vendor = fresh(vendor)
    satker_a = Organisation.objects.get(kind="SATKER", code=SATKER_A)

    assert vendor.status == VendorStatus.PENDING
    assert not vendor.can_sell
    assert vendor.partner_satker_id == satker_a.pk
    assert vendor.business_name == "CV Sinar Jaya"
    assert vendor.npwp == "013000666091000"
    assert vendor.umkm_class == UmkmClass.MIKRO
    assert vendor.phone == "+6281234567890"
    assert vendor.suket_status == SuketStatus.NONE
    org = vendor.organisation
    assert (org.kind, org.name, org.is_active) == ("VENDOR", "CV Sinar Jaya", True)
    admin = admin_of(vendor)
    assert admin.email == vendor.email
    assert admin.is_active
    # The NIK is not kept: its keyed hash and last four digits only.
    assert vendor.owner_person_key == person_key(owner_nik)
    assert vendor.owner_nik_last4 == owner_nik[-4:]
    assert admin.person_key == person_key(owner_nik)
    after = counts()
    assert after["organisations"] == before["organisations"] + 1
    assert after["users"] == before["users"] + 1
    assert after["vendors"] == before["vendors"] + 1
    event = AuditEvent.objects.get(action="vendor.registered", object_id=str(vendor.pk))
    assert event.tenant_id == org.pk
    assert event.actor_id is None
    assert event.after["status"] == VendorStatus.PENDING
    assert event.after["partner_satker_id"] == satker_a.pk
    assert owner_nik not in json.dumps([event.before, event.after])
    assert "013000666091000" not in json.dumps(event.after)  # the NPWP masked


def test_self_registration_over_the_api(anonymous: Api) -> None:
    body = registration_json(partner_satker_code=SATKER_B, business_name="UD Berkah Tani")
    response = anonymous.post(REGISTER, body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == VendorStatus.PENDING
    assert out["can_sell"] is False
    assert out["partner_satker_id"] == Organisation.objects.get(code=SATKER_B).pk
    assert out["owner_nik_last4"] == body["owner_nik"][-4:]
    assert out["npwp_masked"].endswith("1000")
    text = response.content.decode()
    assert body["owner_nik"] not in text
    assert body["npwp"] not in text
    assert body["password"] not in text
    assert Vendor.objects.filter(pk=out["id"], business_name="UD Berkah Tani").exists()


def test_partner_must_be_an_existing_satker(anonymous: Api) -> None:
    before = counts()
    for code in ("999999", "019", ""):  # unknown; a KPPN; none
        response = anonymous.post(REGISTER, registration_json(partner_satker_code=code))
        assert response.status_code == 422, response.content
        assert response.json()["details"] == {"field": "partner_satker_code"}
    assert counts() == before


def test_a_second_registration_with_the_same_owner_nik_is_refused(anonymous: Api) -> None:
    first = register(owner_nik=nik(9002))
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        register(owner_nik=nik(9002), partner_satker_code=SATKER_B)
    assert exc.value.code == "owner_registered"
    assert exc.value.details == {"field": "owner_nik"}
    # The same NIK written with separators is the same person.
    response = anonymous.post(
        REGISTER, registration_json(owner_nik="3273-0141-0590-9002", business_name="Usaha Lain")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "owner_registered"
    assert counts() == before
    assert Vendor.objects.filter(owner_person_key=first.owner_person_key).count() == 1


@pytest.mark.parametrize(
    ("basis", "amount"),
    [("CAPITAL", 10_000_000_001), ("SALES", 50_000_000_001), ("SALES", 10**13)],
)
def test_a_large_business_is_refused_and_nothing_is_created(
    anonymous: Api, basis: str, amount: int
) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        register(umkm_basis=basis, umkm_amount_idr=amount)
    assert exc.value.code == "large_business"
    response = anonymous.post(REGISTER, registration_json(umkm_basis=basis, umkm_amount_idr=amount))
    assert response.status_code == 422
    assert response.json()["code"] == "large_business"
    assert response.json()["details"] == {"field": "umkm_amount_idr"}
    assert counts() == before


@pytest.mark.parametrize(
    ("basis", "amount", "klass"),
    [
        ("CAPITAL", 1_000_000_000, UmkmClass.MIKRO),
        ("CAPITAL", 1_000_000_001, UmkmClass.KECIL),
        ("SALES", 15_000_000_000, UmkmClass.KECIL),
        ("SALES", 50_000_000_000, UmkmClass.MENENGAH),
    ],
)
def test_the_umkm_class_is_derived_not_declared(basis: str, amount: int, klass: str) -> None:
    assert register(umkm_basis=basis, umkm_amount_idr=amount).umkm_class == klass


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"owner_nik": "3171013202850001"}, "owner_nik"),  # day 32
        ({"owner_nik": "9971011508850001"}, "owner_nik"),  # no province 99
        ({"owner_nik": "327301410590001"}, "owner_nik"),  # 15 digits
        ({"owner_nik": "32730141059000AB"}, "owner_nik"),
        ({"npwp": "013000665091000"}, "npwp"),  # wrong check digit
        ({"npwp": "0130006660910"}, "npwp"),  # 13 digits
        ({"npwp": "3171013202850001"}, "npwp"),  # 16 digits, not a NIK
        ({"licence_kind": "NIB", "licence_number": "912000123456"}, "licence_number"),
        ({"licence_kind": "NIB", "licence_number": "91200012345678"}, "licence_number"),
        ({"licence_kind": "NIB", "licence_number": "NIB-912000123"}, "licence_number"),
        ({"kbli_codes": ["4711"]}, "kbli_codes"),
        ({"phone": "12345"}, "phone"),
        ({"npwp": "000000000000000", "is_pkp": True}, "is_pkp"),  # a PKP has an NPWP
        ({"suket_number": "S-1"}, "suket_number"),  # without its dates
    ],
)
def test_bad_identity_numbers_give_422_with_the_field_and_create_nothing(
    anonymous: Api, overrides: dict[str, Any], field: str
) -> None:
    before = counts()
    response = anonymous.post(REGISTER, registration_json(**overrides))
    assert response.status_code == 422, response.content
    assert response.json()["details"] == {"field": field}
    with pytest.raises(ValidationFailed) as exc:
        register(**overrides)
    assert exc.value.details == {"field": field}
    assert counts() == before


def test_an_email_already_in_use_leaves_nothing_behind() -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        register(email=PP_A)
    assert exc.value.details == {"field": "email"}
    assert counts() == before


def test_no_npwp_is_allowed_for_a_non_pkp() -> None:
    vendor = register(npwp="000000000000000", is_pkp=False)
    assert not vendor.has_npwp


# --- invitation ------------------------------------------------------------------------------


def test_invitation_email_link_registration_and_reuse(
    api: Callable[[str], Api], anonymous: Api, django_capture_on_commit_callbacks: Any
) -> None:
    pp = api(PP_A)
    with django_capture_on_commit_callbacks(execute=True):
        response = pp.post(
            INVITE, {"email": "Pemilik.Kue@Usaha.Example.co.id", "business_name": "Kue Bu Tini"}
        )
    assert response.status_code == 201, response.content
    created = response.json()
    link = created["link"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert created["email"] == "pemilik.kue@usaha.example.co.id"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pemilik.kue@usaha.example.co.id"]
    assert link in message.body
    invitation = VendorInvitation.objects.get(pk=created["id"])
    assert invitation.token_hash != token
    assert token not in invitation.token_hash
    assert AuditEvent.objects.filter(action="vendor.invited", object_id=str(invitation.pk)).exists()

    # The invitation names the partner: a partner code in the form cannot override it.
    body = registration_json(
        invitation_token=token,
        partner_satker_code=SATKER_B,
        email="pemilik.kue@usaha.example.co.id",
    )
    response = anonymous.post(REGISTER, body)
    assert response.status_code == 201, response.content
    vendor = Vendor.objects.get(pk=response.json()["id"])
    assert vendor.partner_satker.code == SATKER_A
    assert vendor.invited_by_id == user(PP_A).pk
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.vendor_id == vendor.pk

    before = counts()
    again = anonymous.post(REGISTER, registration_json(invitation_token=token))
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_used"
    assert counts() == before
    listed = pp.get(INVITE).json()["results"]
    assert [(i["id"], i["vendor_id"]) for i in listed] == [(invitation.pk, vendor.pk)]


def test_an_expired_invitation_is_refused() -> None:
    invitation, token = services.invite_vendor(
        user(PP_A), satker=Organisation.objects.get(code=SATKER_A), email="late@usaha.example.co.id"
    )
    before = counts()
    with (
        clock.frozen(invitation.expires_at + timedelta(seconds=1)),
        pytest.raises(Conflict) as exc,
    ):
        register(invitation_token=token)
    assert exc.value.code == "invitation_expired"
    # expires_at itself is already too late
    with clock.frozen(invitation.expires_at), pytest.raises(Conflict) as exc:
        register(invitation_token=token)
    assert exc.value.code == "invitation_expired"
    assert counts() == before
    with clock.frozen(invitation.expires_at - timedelta(minutes=1)):
        vendor = register(invitation_token=token)
    assert vendor.partner_satker.code == SATKER_A


def test_an_unknown_token_is_not_found() -> None:
    with pytest.raises(NotFound):
        register(invitation_token="not-a-real-token")


def test_only_a_pejabat_pengadaan_invites(api: Callable[[str], Api]) -> None:
    before = VendorInvitation.objects.count()
    response = api(PPK_A).post(INVITE, {"email": "x@usaha.example.co.id"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.invite_vendor(
            user(PPK_A),
            satker=Organisation.objects.get(code=SATKER_A),
            email="x@usaha.example.co.id",
        )
    # ... and only for its own satker.
    with pytest.raises(NotFound):
        services.invite_vendor(
            user(PP_B),
            satker=Organisation.objects.get(code=SATKER_A),
            email="x@usaha.example.co.id",
        )
    assert VendorInvitation.objects.count() == before


def test_an_open_invitation_is_not_sent_twice(api: Callable[[str], Api]) -> None:
    pp = api(PP_A)
    assert pp.post(INVITE, {"email": "dua@usaha.example.co.id"}).status_code == 201
    again = pp.post(INVITE, {"email": "DUA@usaha.example.co.id"})
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_open"
    bad = pp.post(INVITE, {"email": "not-an-email"})
    assert bad.status_code == 422
    assert bad.json()["details"] == {"field": "email"}


# --- the NIK cannot be edited --------------------------------------------------------------------


def test_the_nik_cannot_be_edited(api: Callable[[str], Api]) -> None:
    vendor = verified()
    client = api(vendor.email)
    for value in (nik(9100), vendor.owner_nik_last4):
        response = client.patch(
            f"/api/v1/vendors/{vendor.pk}", {"owner_nik": value, "phone": "081299998888"}
        )
        assert response.status_code == 422, response.content
        assert response.json()["code"] == "nik_immutable"
        assert response.json()["details"] == {"field": "owner_nik"}
    with pytest.raises(ValidationFailed) as exc:
        services.update_vendor(admin_of(vendor), vendor, nik=nik(9100))
    assert exc.value.code == "nik_immutable"
    after = fresh(vendor)
    assert (after.owner_person_key, after.owner_nik_last4) == (
        vendor.owner_person_key,
        vendor.owner_nik_last4,
    )
    assert after.phone == vendor.phone  # nothing of the refused request was applied
    assert after.status == VendorStatus.VERIFIED
    assert not VendorDecision.objects.filter(vendor=vendor, action="REVERIFY").exists()


def test_unknown_fields_cannot_be_edited() -> None:
    vendor = register()
    for change in ({"status": "VERIFIED"}, {"partner_satker_id": 1}, {"owner_name": "Orang Lain"}):
        with pytest.raises(ValidationFailed):
            services.update_vendor(admin_of(vendor), vendor, **change)
    assert fresh(vendor).status == VendorStatus.PENDING


def test_a_revoked_invitation_link_no_longer_works(api: Callable[[str], Api]) -> None:
    invitation, token = services.invite_vendor(
        user(PP_A),
        satker=Organisation.objects.get(code=SATKER_A),
        email="batal@usaha.example.co.id",
    )
    # Another satker's Pejabat Pengadaan cannot even see it.
    other = api(f"pengadaan@{SATKER_B}.demo.digipay.id")
    assert other.post(f"{INVITE}/{invitation.pk}/revoke", {}).status_code == 404
    response = api(PP_A).post(f"{INVITE}/{invitation.pk}/revoke", {})
    assert response.status_code == 200, response.content
    assert AuditEvent.objects.filter(
        action="vendor.invitation_revoked", object_id=str(invitation.pk)
    ).exists()
    before = counts()
    with pytest.raises(NotFound):
        register(invitation_token=token)
    assert counts() == before
