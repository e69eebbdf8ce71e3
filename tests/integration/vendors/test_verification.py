"""Verification by the partner satker, rejection and resubmission, re-verification after an
identity change, suspension by the KPPN, and who may do each (DOMAIN.md §3: only the partner
satker verifies; only verified vendors sell)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from digipay.audit.models import AuditEvent
from digipay.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from digipay.vendors import queries, services
from digipay.vendors.models import Vendor, VendorDecision, VendorDocument
from digipay.vendors.rules import DocumentKind, VendorStatus

from .conftest import (
    BENDAHARA_A,
    DJPB,
    GIF,
    KANWIL_A,
    KPPN_A,
    KPPN_B,
    PDF,
    PEMESAN_A,
    PP_A,
    PP_B,
    PP_C,
    PPK_A,
    Api,
    admin_of,
    fresh,
    register,
    upload,
    user,
    verified,
)

pytestmark = pytest.mark.usefixtures("vw")

REASONS = "Foto SIUP tidak terbaca; unggah ulang pindaian yang jelas."
SUSPEND_REASON = "Laporan penipuan dari tiga satker, sedang diperiksa KPPN."


def url(vendor: Vendor, tail: str = "") -> str:
    return f"/api/v1/vendors/{vendor.pk}{tail}"


def decisions(vendor: Vendor) -> list[tuple[str, str, str]]:
    return [
        (d.action, d.from_status, d.to_status)
        for d in VendorDecision.objects.filter(vendor=vendor).order_by("at", "id")
    ]


# --- documents and verification ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["SIUP", "SKU_DESA"])
def test_verify_needs_the_licence_file_for_siup_and_village_letters(
    api: Callable[[str], Api], kind: str
) -> None:
    vendor = register(licence_kind=kind, licence_number="510/123/DPMPTSP/2025")
    pp = api(PP_A)
    response = pp.post(url(vendor, "/verify"), {})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "documents_missing"
    assert fresh(vendor).status == VendorStatus.PENDING
    assert decisions(vendor) == []

    owner = api(vendor.email)
    response = owner.upload(url(vendor, "/documents/licence"), "siup.pdf", PDF, "application/pdf")
    assert response.status_code == 201, response.content
    document = response.json()
    assert (document["kind"], document["content_type"], document["size_bytes"]) == (
        "LICENCE",
        "application/pdf",
        len(PDF),
    )
    assert AuditEvent.objects.filter(
        action="vendor.document_uploaded", tenant_id=vendor.organisation_id
    ).exists()
    # The partner can read it; it is streamed, never served from a public URL.
    listed = pp.get(url(vendor, "/documents")).json()
    assert [d["id"] for d in listed] == [document["id"]]
    file = pp.get(url(vendor, f"/documents/{document['id']}/file"))
    assert file.status_code == 200
    assert b"".join(file.streaming_content) == PDF
    assert api(PP_C).get(url(vendor, f"/documents/{document['id']}/file")).status_code == 404

    response = pp.post(url(vendor, "/verify"), {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == VendorStatus.VERIFIED
    assert response.json()["can_sell"] is True
    after = fresh(vendor)
    assert after.verified_by_id == user(PP_A).pk
    assert after.verified_at is not None
    assert decisions(vendor) == [("VERIFY", "PENDING", "VERIFIED")]
    assert AuditEvent.objects.filter(action="vendor.verified", object_id=str(vendor.pk)).exists()


def test_a_vendor_with_an_nib_needs_no_licence_file() -> None:
    vendor = register(licence_kind="NIB", licence_number="9120001234567")
    assert services.verify_vendor(user(PPK_A), vendor).status == VendorStatus.VERIFIED


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("foto.gif", GIF, "image/gif"),
        ("siup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/pdf"),  # an exe, renamed
        ("kosong.pdf", b"", "application/pdf"),
    ],
)
def test_only_pdf_jpeg_png_are_accepted(
    api: Callable[[str], Api], name: str, content: bytes, content_type: str
) -> None:
    vendor = register(licence_kind="SIUP", licence_number="510/123/DPMPTSP/2025")
    response = api(vendor.email).upload(
        url(vendor, "/documents/LICENCE"), name, content, content_type
    )
    assert response.status_code == 422, response.content
    assert response.json()["details"] == {"field": "licence"}
    assert not VendorDocument.objects.filter(vendor=vendor).exists()


def test_a_file_over_5_mb_is_refused(api: Callable[[str], Api]) -> None:
    vendor = register(licence_kind="SIUP", licence_number="510/123/DPMPTSP/2025")
    big = PDF + b"\0" * (5 * 1024 * 1024 + 1 - len(PDF))
    response = api(vendor.email).upload(
        url(vendor, "/documents/LICENCE"), "big.pdf", big, "application/pdf"
    )
    assert response.status_code == 422
    assert not VendorDocument.objects.filter(vendor=vendor).exists()


def test_reject_needs_reasons_then_the_vendor_corrects_and_resubmits(
    api: Callable[[str], Api],
) -> None:
    vendor = register(licence_kind="SIUP", licence_number="510/123/DPMPTSP/2025")
    upload(vendor)
    ppk = api(PPK_A)
    for short in ("", "kurang", "  ok    ya   sip  "):
        response = ppk.post(url(vendor, "/reject"), {"reasons": short})
        assert response.status_code == 422, short
        assert response.json()["details"] == {"field": "reasons"}
    assert fresh(vendor).status == VendorStatus.PENDING

    response = ppk.post(url(vendor, "/reject"), {"reasons": REASONS})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == VendorStatus.REJECTED
    assert response.json()["rejection_reasons"] == REASONS
    event = AuditEvent.objects.get(action="vendor.rejected", object_id=str(vendor.pk))
    assert event.actor_id == user(PPK_A).pk
    # A rejected vendor cannot be verified without resubmitting.
    assert ppk.post(url(vendor, "/verify"), {}).status_code == 409

    owner = api(vendor.email)
    response = owner.upload(
        url(vendor, "/documents/LICENCE"), "siup-jelas.pdf", PDF, "application/pdf"
    )
    assert response.status_code == 201
    response = owner.patch(url(vendor), {"licence_number": "510/124/DPMPTSP/2025"})
    assert response.status_code == 200
    assert response.json()["status"] == VendorStatus.REJECTED  # still waiting to be resubmitted
    response = owner.post(url(vendor, "/resubmit"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == VendorStatus.PENDING
    assert owner.post(url(vendor, "/resubmit")).status_code == 409  # only once

    response = ppk.post(url(vendor, "/verify"), {})
    assert response.status_code == 200
    assert response.json()["status"] == VendorStatus.VERIFIED
    assert decisions(vendor) == [
        ("REJECT", "PENDING", "REJECTED"),
        ("RESUBMIT", "REJECTED", "PENDING"),
        ("VERIFY", "PENDING", "VERIFIED"),
    ]
    history = owner.get(url(vendor, "/decisions")).json()
    assert [h["action"] for h in history] == ["VERIFY", "RESUBMIT", "REJECT"]
    assert history[2]["reasons"] == REASONS


def test_verifying_twice_is_a_conflict() -> None:
    vendor = verified()
    with pytest.raises(Conflict) as exc:
        services.verify_vendor(user(PPK_A), vendor)
    assert exc.value.code == "invalid_transition"
    with pytest.raises(Conflict):
        services.reject_vendor(user(PPK_A), vendor, reasons=REASONS)
    assert len(decisions(vendor)) == 1


@pytest.mark.parametrize(
    ("email", "status"),
    [
        (PP_C, 404),  # Pejabat Pengadaan of another satker, same KPPN
        (PP_B, 404),  # ... of a satker under another KPPN
        (BENDAHARA_A, 403),  # the partner's treasurer
        (PEMESAN_A, 403),  # the partner's orderer
        (KPPN_A, 403),  # the KPPN oversees, it does not verify
        ("vendor-admin", 404),  # the vendor itself
        ("other-vendor-admin", 404),
    ],
)
def test_only_the_partner_satkers_pp_or_ppk_may_verify(
    api: Callable[[str], Api], email: str, status: int
) -> None:
    vendor = register()
    if email == "vendor-admin":
        email = vendor.email
    elif email == "other-vendor-admin":
        email = verified().email
    client = api(email)
    for action, body in (("/verify", {}), ("/reject", {"reasons": REASONS})):
        response = client.post(url(vendor, action), body)
        assert response.status_code == status, (action, response.content)
    actor = user(email)
    with pytest.raises(DomainError) as exc:
        services.verify_vendor(actor, fresh(vendor))
    assert exc.value.status == status
    assert fresh(vendor).status == VendorStatus.PENDING
    assert decisions(vendor) == []
    assert not AuditEvent.objects.filter(
        action__in=("vendor.verified", "vendor.rejected"), object_id=str(vendor.pk)
    ).exists()


def test_the_partner_pp_and_ppk_both_may_verify() -> None:
    assert services.verify_vendor(user(PP_A), register()).status == VendorStatus.VERIFIED
    assert services.verify_vendor(user(PPK_A), register()).status == VendorStatus.VERIFIED


# --- editing after verification ------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"business_name": "CV Sinar Jaya Baru"},
        {"npwp": "016090524017000"},
        {"licence_number": "9120009999999"},
        {"legal_form": "PT_PERORANGAN"},
        {"is_pkp": True},
    ],
)
def test_editing_identity_data_of_a_verified_vendor_sends_it_back_to_pending(
    api: Callable[[str], Api], change: dict[str, Any]
) -> None:
    vendor = verified()
    assert services.require_seller(fresh(vendor)) is None
    response = api(vendor.email).patch(url(vendor), change)
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["status"] == VendorStatus.PENDING
    assert out["can_sell"] is False
    after = fresh(vendor)
    assert not after.can_sell
    with pytest.raises(PermissionDenied) as exc:
        services.require_seller(after)
    assert exc.value.code == "vendor_not_verified"
    assert decisions(vendor)[-1] == ("REVERIFY", "VERIFIED", "PENDING")
    event = AuditEvent.objects.filter(action="vendor.updated", object_id=str(vendor.pk)).get()
    assert (event.before["status"], event.after["status"]) == ("VERIFIED", "PENDING")
    assert vendor in queries.verification_queue(user(PP_A))
    # The partner checks again.
    assert services.verify_vendor(user(PPK_A), after).status == VendorStatus.VERIFIED


def test_a_new_business_name_is_also_the_organisations_name(api: Callable[[str], Api]) -> None:
    vendor = verified()
    api(vendor.email).patch(url(vendor), {"business_name": "UD Berkah Tani Makmur"})
    assert fresh(vendor).organisation.name == "UD Berkah Tani Makmur"


@pytest.mark.parametrize(
    "change",
    [
        {"phone": "+62 811 2222 3333"},
        {"address": "Jl. Asia Afrika No. 8, Bandung Wetan"},
        {"kbli_codes": ["47111", "10792"]},
        {"business_name": "CV Sinar Jaya 1"},  # the same name (set below): no change at all
    ],
)
def test_editing_contact_data_keeps_the_verification(
    api: Callable[[str], Api], change: dict[str, Any]
) -> None:
    vendor = verified(business_name="CV Sinar Jaya 1")
    response = api(vendor.email).patch(url(vendor), change)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == VendorStatus.VERIFIED
    assert response.json()["can_sell"] is True
    assert fresh(vendor).status == VendorStatus.VERIFIED
    assert [d[0] for d in decisions(vendor)] == ["VERIFY"]


def test_an_edit_that_would_make_the_vendor_large_is_refused(api: Callable[[str], Api]) -> None:
    vendor = verified()
    response = api(vendor.email).patch(url(vendor), {"umkm_amount_idr": 50_000_000_001})
    assert response.status_code == 422
    assert response.json()["code"] == "large_business"
    assert fresh(vendor).umkm_amount_idr == 500_000_000


# --- suspension ----------------------------------------------------------------------------------


def test_the_partners_kppn_suspends_and_reinstates(api: Callable[[str], Api]) -> None:
    vendor = verified()
    kppn = api(KPPN_A)
    response = kppn.post(url(vendor, "/suspend"), {"reasons": "curang"})
    assert response.status_code == 422
    assert response.json()["details"] == {"field": "reason"}
    assert fresh(vendor).status == VendorStatus.VERIFIED

    response = kppn.post(url(vendor, "/suspend"), {"reasons": SUSPEND_REASON})
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["status"], out["can_sell"], out["suspension_reason"]) == (
        VendorStatus.SUSPENDED,
        False,
        SUSPEND_REASON,
    )
    event = AuditEvent.objects.get(action="vendor.suspended", object_id=str(vendor.pk))
    assert event.actor_id == user(KPPN_A).pk
    assert (event.before["status"], event.after["status"]) == ("VERIFIED", "SUSPENDED")
    suspended = fresh(vendor)
    assert not suspended.can_sell
    with pytest.raises(PermissionDenied):
        services.require_seller(suspended)
    assert vendor not in queries.sellers()
    assert kppn.post(url(vendor, "/suspend"), {"reasons": SUSPEND_REASON}).status_code == 409
    # Suspension is no verification step: the partner cannot lift it by verifying.
    assert api(PP_A).post(url(vendor, "/verify"), {}).status_code == 409

    response = kppn.post(
        url(vendor, "/reinstate"), {"reasons": "Pemeriksaan selesai, tidak terbukti."}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == VendorStatus.VERIFIED
    assert response.json()["suspension_reason"] == ""
    reinstated = fresh(vendor)
    assert reinstated.can_sell
    assert services.require_seller(reinstated) is None
    assert AuditEvent.objects.filter(action="vendor.reinstated", object_id=str(vendor.pk)).exists()
    assert decisions(vendor) == [
        ("VERIFY", "PENDING", "VERIFIED"),
        ("SUSPEND", "VERIFIED", "SUSPENDED"),
        ("REINSTATE", "SUSPENDED", "VERIFIED"),
    ]


def test_a_suspended_pending_vendor_returns_to_pending() -> None:
    vendor = register()
    services.suspend_vendor(user(KPPN_A), vendor, reason=SUSPEND_REASON)
    back = services.reinstate_vendor(user(KPPN_A), fresh(vendor), reason="Selesai diperiksa KPPN.")
    assert back.status == VendorStatus.PENDING
    assert not back.can_sell


@pytest.mark.parametrize(
    ("email", "status"),
    [
        (KPPN_B, 404),  # the KPPN of another region
        (PP_A, 403),  # the partner satker verifies, it does not suspend
        (KANWIL_A, 403),
        ("vendor-admin", 404),
    ],
)
def test_who_may_not_suspend(api: Callable[[str], Api], email: str, status: int) -> None:
    vendor = verified()
    if email == "vendor-admin":
        email = vendor.email
    response = api(email).post(url(vendor, "/suspend"), {"reasons": SUSPEND_REASON})
    assert response.status_code == status, response.content
    with pytest.raises(DomainError) as exc:
        services.suspend_vendor(user(email), fresh(vendor), reason=SUSPEND_REASON)
    assert exc.value.status == status
    assert fresh(vendor).status == VendorStatus.VERIFIED


def test_djpb_may_suspend_any_vendor() -> None:
    vendor = verified(partner_satker_code="527010")
    assert services.suspend_vendor(user(DJPB), vendor, reason=SUSPEND_REASON).status == "SUSPENDED"


def test_identity_changed_while_suspended_is_checked_before_selling_again() -> None:
    """A suspended vendor that was verified changes its NPWP (or name, PKP status ...) while
    suspended. Lifting the suspension must not make the new, never-checked data verified:
    either the change is refused while suspended, or reinstatement leads back to PENDING."""
    vendor = verified()
    services.suspend_vendor(user(KPPN_A), vendor, reason=SUSPEND_REASON)
    try:
        services.update_vendor(admin_of(vendor), fresh(vendor), npwp="016090524017000", is_pkp=True)
    except DomainError:
        assert fresh(vendor).npwp == "013000666091000"  # refused: nothing changed
        return
    back = services.reinstate_vendor(user(KPPN_A), fresh(vendor), reason="Selesai diperiksa KPPN.")
    assert back.npwp == "016090524017000"
    assert back.status == VendorStatus.PENDING, (
        "identity data changed during the suspension became VERIFIED without a check"
    )
    assert not back.can_sell


def test_a_document_kind_must_be_known(api: Callable[[str], Api]) -> None:
    vendor = register()
    response = api(vendor.email).upload(
        url(vendor, "/documents/KTP"), "ktp.pdf", PDF, "application/pdf"
    )
    assert response.status_code == 422
    assert response.json()["details"] == {"field": "kind"}


def test_a_suket_file_is_required_to_verify_a_declared_suket() -> None:
    from datetime import date

    vendor = register(
        suket_number="KET-00123/PP23/WPJ.09/2026",
        suket_valid_from=date(2026, 1, 1),
        suket_valid_until=date(2026, 12, 31),
    )
    with pytest.raises(ValidationFailed) as exc:
        services.verify_vendor(user(PP_A), vendor)
    assert exc.value.code == "documents_missing"
    # The partner may verify the business and refuse the Suket on its own (with reasons).
    with pytest.raises(ValidationFailed):
        services.verify_vendor(user(PP_A), fresh(vendor), accept_suket=False, suket_reasons="x")
    done = services.verify_vendor(
        user(PP_A), fresh(vendor), accept_suket=False, suket_reasons="Suket tidak dilampirkan."
    )
    assert (done.status, done.suket_status) == (VendorStatus.VERIFIED, "REJECTED")
    assert not done.suket_valid_on(date(2026, 6, 1))
    upload(vendor, DocumentKind.SUKET)
    assert fresh(vendor).suket_status == "PENDING"


def test_replacing_the_licence_of_a_verified_vendor_sends_it_back_to_verification() -> None:
    vendor = verified(licence_kind="SIUP", licence_number="510/SIUP/2025")
    assert vendor.can_sell
    upload(fresh(vendor))
    again = fresh(vendor)
    assert again.status == VendorStatus.PENDING
    assert not again.can_sell
    assert again.decisions.first().action == "REVERIFY"  # type: ignore[union-attr]
    # The partner checks the new file and the vendor sells again.
    assert services.verify_vendor(user(PP_A), again).status == VendorStatus.VERIFIED
