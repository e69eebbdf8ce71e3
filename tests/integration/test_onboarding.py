"""The onboarding chain DJPb → Kanwil → KPPN → satker admin → role users, through the API."""

from __future__ import annotations

from typing import Any

import pytest

from digipay.accounts.models import Appointment, Organisation, User
from digipay.accounts.rules import OrgKind, Role
from digipay.audit.models import AuditEvent

NIK = "3171011508851201"


def _new_satker(kppn: Organisation, code: str = "999001") -> Organisation:
    from digipay.accounts import services

    kppn_admin = User.objects.get(organisation=kppn, role=Role.KPPN_ADMIN)
    return services.register_organisation(
        kppn_admin,
        kind=OrgKind.SATKER,
        code=code,
        name="Satker Baru",
        parent=kppn,
        ministry_code="015",
        province_code="31",
    )


def test_full_chain_through_the_api(world: dict[str, Any], api_as: Any, otp_code: Any) -> None:
    satker = _new_satker(world["kppn_a"])
    kppn = api_as("admin@kppn019.demo.digipay.id")
    response = kppn.post(
        "/api/v1/satker-admins",
        {
            "satker_id": satker.pk,
            "email": "Admin.Baru@Satker.go.id",
            "full_name": "Admin Baru",
            "nik": NIK,
            "letter_number": "KEP-12/KPA/2026",
            "letter_date": "2026-11-02",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    admin = User.objects.get(pk=body["user"]["id"])
    assert admin.email == "admin.baru@satker.go.id"  # e-mails are case-folded
    assert admin.role == Role.SATKER_ADMIN
    assert admin.must_change_password
    assert Appointment.objects.get(user=admin).letter_number == "KEP-12/KPA/2026"
    assert admin.check_password(body["initial_password"])

    # The new admin logs in over the API: 2FA is required, so enrol a device first.
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin, name="t", confirmed=True)
    from tests.conftest import ApiClient

    anon = ApiClient(None)
    refused = anon.post(
        "/api/v1/auth/token", {"email": admin.email, "password": body["initial_password"]}
    )
    assert refused.status_code == 401
    assert refused.json()["code"] == "otp_required"
    code = f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}"
    issued = anon.post(
        "/api/v1/auth/token",
        {"email": admin.email, "password": body["initial_password"], "otp": code},
    )
    assert issued.status_code == 200, issued.json()
    admin_api = ApiClient(issued.json()["token"])

    for index, role in enumerate(
        [Role.PEMESAN, Role.PEJABAT_PENGADAAN, Role.PPK, Role.PENERIMA_BARANG, Role.BENDAHARA]
    ):
        created = admin_api.post(
            "/api/v1/users",
            {
                "organisation_id": satker.pk,
                "email": f"u{index}@satker.go.id",
                "full_name": f"Pegawai {index}",
                "nik": f"31710115088513{index:02d}",
                "role": role,
            },
        )
        assert created.status_code == 201, created.json()
    roles = set(User.objects.filter(organisation=satker).values_list("role", flat=True))
    assert roles == {
        Role.SATKER_ADMIN,
        Role.PEMESAN,
        Role.PEJABAT_PENGADAAN,
        Role.PPK,
        Role.PENERIMA_BARANG,
        Role.BENDAHARA,
    }
    actions = list(
        AuditEvent.objects.filter(tenant_id=satker.pk)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[:3] == ["organisation.registered", "user.created", "satker_admin.registered"]
    assert actions.count("user.created") == 6


def test_satker_admin_needs_an_appointment_letter(world: dict[str, Any], api_as: Any) -> None:
    satker = _new_satker(world["kppn_a"])
    kppn = api_as("admin@kppn019.demo.digipay.id")
    # Not through the generic user endpoint...
    generic = kppn.post(
        "/api/v1/users",
        {
            "organisation_id": satker.pk,
            "email": "x@satker.go.id",
            "full_name": "X Y",
            "nik": NIK,
            "role": Role.SATKER_ADMIN,
        },
    )
    assert generic.status_code == 422
    assert generic.json()["code"] == "appointment_required"
    # ...and not with a letter dated in the future.
    future = kppn.post(
        "/api/v1/satker-admins",
        {
            "satker_id": satker.pk,
            "email": "x@satker.go.id",
            "full_name": "X Y",
            "nik": NIK,
            "letter_number": "KEP-1",
            "letter_date": "2099-01-01",
        },
    )
    assert future.status_code == 422
    assert "masa depan" in future.json()["message"]
    assert not User.objects.filter(organisation=satker).exists()


def test_second_active_satker_admin_is_refused(world: dict[str, Any], api_as: Any) -> None:
    kppn = api_as("admin@kppn019.demo.digipay.id")
    response = kppn.post(
        "/api/v1/satker-admins",
        {
            "satker_id": world["satker_a"].pk,
            "email": "dua@satker.go.id",
            "full_name": "Admin Dua",
            "nik": NIK,
            "letter_number": "KEP-2",
            "letter_date": "2026-11-01",
        },
    )
    assert response.status_code == 409
    assert response.json()["code"] == "satker_admin_exists"


@pytest.mark.parametrize(
    ("email", "role", "status"),
    [
        ("pemesan@415256.demo.digipay.id", Role.PEMESAN, 403),  # not an admin
        ("admin@415256.demo.digipay.id", Role.KPPN_ADMIN, 422),  # satker admin: staff roles only
        ("admin@415256.demo.digipay.id", Role.VENDOR_STAFF, 422),  # role does not fit a satker
    ],
)
def test_who_may_create_whom(
    world: dict[str, Any], api_as: Any, email: str, role: str, status: int
) -> None:
    response = api_as(email).post(
        "/api/v1/users",
        {
            "organisation_id": world["satker_a"].pk,
            "email": "n@satker.go.id",
            "full_name": "N N",
            "nik": NIK,
            "role": role,
        },
    )
    assert response.status_code == status
    assert not User.objects.filter(email="n@satker.go.id").exists()


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("nik", "1234", "NIK tidak valid"),
        ("nik", "9971011508851201", "NIK tidak valid"),  # no such province
        ("email", "bukan-email", "e-mail tidak valid"),
        ("email", "pemesan@415256.demo.digipay.id", "sudah terdaftar"),
        ("full_name", " ", "Nama lengkap"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    world: dict[str, Any], api_as: Any, field: str, value: str, needle: str
) -> None:
    body = {
        "organisation_id": world["satker_a"].pk,
        "email": "baru@satker.go.id",
        "full_name": "Pegawai Baru",
        "nik": NIK,
        "role": Role.KPA,
    }
    body[field] = value
    client = api_as("admin@415256.demo.digipay.id")
    before = (User.objects.count(), AuditEvent.objects.count())
    response = client.post("/api/v1/users", body)
    assert response.status_code == 422
    assert needle.lower() in response.json()["message"].lower()
    assert response.json()["details"]["field"] == field
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_kppn_registers_satker_only_under_itself(world: dict[str, Any]) -> None:
    from digipay.accounts import services
    from digipay.core.errors import NotFound

    kppn_b_admin = User.objects.get(organisation=world["kppn_b"], role=Role.KPPN_ADMIN)
    with pytest.raises(NotFound):
        services.register_organisation(
            kppn_b_admin,
            kind=OrgKind.SATKER,
            code="999002",
            name="Satker Asing",
            parent=world["kppn_a"],
            ministry_code="015",
        )
    assert not Organisation.objects.filter(code="999002").exists()


def test_kppn_registers_a_satker_and_its_admin_through_the_pages(
    world: dict[str, Any], login_client: Any
) -> None:
    client = login_client("admin@kppn019.demo.digipay.id")
    bad = client.post(
        "/satker/baru/",
        {
            "code": "12",
            "name": "X",
            "ministry_code": "015",
            "province": "31",
            "regency": "Jakarta",
            "address": "Jl.",
        },
    )
    assert bad.status_code == 200
    assert not Organisation.objects.filter(name="X").exists()
    response = client.post(
        "/satker/baru/",
        {
            "code": "998877",
            "name": "Kantor Pelayanan Baru",
            "ministry_code": "015",
            "province": "31",
            "regency": "Jakarta Selatan",
            "address": "Jl. Gatot Subroto 1",
        },
    )
    satker = Organisation.objects.get(kind=OrgKind.SATKER, code="998877")
    assert satker.parent == world["kppn_a"]
    assert response["Location"] == f"/satker/{satker.pk}/admin/"
    registered = client.post(
        f"/satker/{satker.pk}/admin/",
        {
            "full_name": "Admin Kantor Baru",
            "email": "admin@998877.go.id",
            "nik": NIK,
            "letter_number": "KEP-7/KPA/2026",
            "letter_date": "03/11/2026",
        },
    )
    assert registered.status_code == 200
    assert registered["Cache-Control"].startswith("max-age=0")
    assert "no-store" in registered["Cache-Control"]
    admin = User.objects.get(email="admin@998877.go.id")
    assert admin.role == Role.SATKER_ADMIN
    assert admin.appointment.letter_date.isoformat() == "2026-11-03"
    assert "satker dalam wilayah Anda" in client.get("/").content.decode()


def test_registering_organisations_and_grants_over_the_api(
    world: dict[str, Any], api_as: Any
) -> None:
    djpb = api_as("admin@djpb.demo.digipay.id")
    kanwil = djpb.post(
        "/api/v1/organisations",
        {
            "kind": "KANWIL",
            "code": "33",
            "name": "Kanwil DJPb Provinsi Jawa Tengah",
            "parent_id": world["djpb"].pk,
            "province_code": "33",
        },
    )
    assert kanwil.status_code == 201, kanwil.json()
    duplicate = djpb.post(
        "/api/v1/organisations",
        {"kind": "KANWIL", "code": "33", "name": "Lagi", "parent_id": world["djpb"].pk},
    )
    assert duplicate.status_code == 422
    wrong_parent = djpb.post(
        "/api/v1/organisations",
        {
            "kind": "SATKER",
            "code": "123456",
            "name": "Satker Salah",
            "parent_id": world["kanwil_a"].pk,
            "ministry_code": "015",
        },
    )
    assert wrong_parent.status_code == 422
    bad_province = djpb.post(
        "/api/v1/organisations",
        {
            "kind": "KANWIL",
            "code": "34",
            "name": "Kanwil Y",
            "parent_id": world["djpb"].pk,
            "province_code": "99",
        },
    )
    assert bad_province.status_code == 422
    pemesan = api_as("pemesan@415256.demo.digipay.id")
    refused = pemesan.post(
        "/api/v1/organisations",
        {
            "kind": "SATKER",
            "code": "123457",
            "name": "Satker Liar",
            "parent_id": world["kppn_a"].pk,
            "ministry_code": "015",
        },
    )
    assert refused.status_code in (403, 404)
    assert not Organisation.objects.filter(code="123457").exists()
    auditor = User.objects.get(email="auditor@itjen.demo.digipay.id")
    grant = djpb.post(
        "/api/v1/auditor-grants",
        {
            "auditor_id": auditor.pk,
            "organisation_id": world["satker_b"].pk,
            "valid_until": "2027-06-30",
        },
    )
    assert grant.status_code == 201
    not_auditor = djpb.post(
        "/api/v1/auditor-grants",
        {
            "auditor_id": auditor.pk - 1,
            "organisation_id": world["satker_b"].pk,
            "valid_until": "2027-06-30",
        },
    )
    assert not_auditor.status_code == 422
