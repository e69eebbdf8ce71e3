"""The demo data set: a small but complete treasury hierarchy with every kind of user.

Loaded through the real services (so it is audited like any other change). Idempotent: a
second run finds the DJPb admin and only reports the logins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts import rules, services
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind, Role

DEMO_PASSWORD = "Digipay-Demo-2026"  # noqa: S105 - documented demo credential
# 20-byte TOTP key shared by the demo's 2FA users; base32 for authenticator apps below.
DEMO_TOTP_KEY_HEX = "646967697061792d64656d6f2d746f74702d3031"
DEMO_TOTP_BASE32 = "MRUWO2LQMF4S2ZDFNVXS25DPORYC2MBR"
DJPB_ADMIN_EMAIL = "admin@djpb.demo.digipay.id"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    role: str
    organisation: str
    two_factor: bool


def demo_nik(serial: int) -> str:
    """A valid, obviously synthetic NIK: Jakarta Pusat region, birth date 15/08/85, and the
    serial. This module uses serials 1–99; other apps' demo data take theirs from 100 up."""
    if not 1 <= serial <= 9999:
        raise ValueError(f"NIK serial out of range: {serial}")
    return f"317101150885{serial:04d}"


class _Niks:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return demo_nik(self.n)


SATKERS = [
    # code, name, ministry, kppn index, province, regency
    ("415256", "Sekretariat Direktorat Jenderal Perbendaharaan", "015", 0, "31", "Jakarta Pusat"),
    (
        "652840",
        "Balai Besar Pelaksanaan Jalan Nasional Jakarta-Banten",
        "033",
        0,
        "31",
        "Jakarta Timur",
    ),
    ("527010", "Politeknik Kesehatan Kemenkes Bandung", "024", 1, "32", "Kota Bandung"),
]

# The satkers' tax identity (NPWP-16 with a valid check digit; NITKU = NPWP-16 + "000000",
# the head office), printed on the withholding slips.
SATKER_NPWP = {
    "415256": "0005312269077000",
    "652840": "0007228612077000",
    "527010": "0009110347077000",
}


def enrol(user: User) -> None:
    """Enrol a demo user whose role requires 2FA with the shared demo TOTP key."""
    if rules.requires_two_factor(user.role):
        TOTPDevice.objects.get_or_create(
            user=user,
            name="Demo",
            defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
        )


def logins() -> list[DemoLogin]:
    return [
        DemoLogin(
            u.email, u.get_role_display(), u.organisation.name, rules.requires_two_factor(u.role)
        )
        for u in User.objects.filter(email__endswith=".demo.digipay.id")
        .select_related("organisation")
        .order_by("organisation__kind", "organisation__code", "role")
    ]


@transaction.atomic
def load() -> bool:
    """Load the demo data; False if it was already there."""
    if User.objects.filter(email=DJPB_ADMIN_EMAIL).exists():
        return False
    niks = _Niks()
    made: list[User] = []

    def user(actor: User, org: Organisation, role: str, email: str, name: str) -> User:
        u, _pw = services.create_user(
            actor,
            organisation=org,
            email=email,
            full_name=name,
            nik=niks.next(),
            role=role,
            password=DEMO_PASSWORD,
        )
        made.append(u)
        return u

    djpb_admin = services.bootstrap_djpb_admin(
        email=DJPB_ADMIN_EMAIL, full_name="Rina Kusumawati", nik=niks.next(), password=DEMO_PASSWORD
    )
    made.append(djpb_admin)
    djpb = Organisation.objects.get(kind=OrgKind.DJPB)
    kanwils = [
        services.register_organisation(
            djpb_admin,
            kind=OrgKind.KANWIL,
            code="31",
            parent=djpb,
            name="Kanwil DJPb Provinsi DKI Jakarta",
            province_code="31",
        ),
        services.register_organisation(
            djpb_admin,
            kind=OrgKind.KANWIL,
            code="32",
            parent=djpb,
            name="Kanwil DJPb Provinsi Jawa Barat",
            province_code="32",
        ),
    ]
    kanwil_admins = [
        user(
            djpb_admin,
            kanwils[0],
            Role.KANWIL_ADMIN,
            "admin@kanwil31.demo.digipay.id",
            "Bambang Sutrisno",
        ),
        user(
            djpb_admin,
            kanwils[1],
            Role.KANWIL_ADMIN,
            "admin@kanwil32.demo.digipay.id",
            "Dewi Lestari",
        ),
    ]
    kppns = [
        services.register_organisation(
            kanwil_admins[0],
            kind=OrgKind.KPPN,
            code="019",
            parent=kanwils[0],
            name="KPPN Jakarta II",
            province_code="31",
            regency="Jakarta Pusat",
        ),
        services.register_organisation(
            kanwil_admins[1],
            kind=OrgKind.KPPN,
            code="030",
            parent=kanwils[1],
            name="KPPN Bandung I",
            province_code="32",
            regency="Kota Bandung",
        ),
    ]
    kppn_admins = [
        user(
            kanwil_admins[0],
            kppns[0],
            Role.KPPN_ADMIN,
            "admin@kppn019.demo.digipay.id",
            "Agus Salim",
        ),
        user(
            kanwil_admins[1],
            kppns[1],
            Role.KPPN_ADMIN,
            "admin@kppn030.demo.digipay.id",
            "Siti Rahmawati",
        ),
    ]
    staff = [
        (Role.PEMESAN, "pemesan", "Andi Pratama"),
        (Role.PEJABAT_PENGADAAN, "pengadaan", "Budi Santoso"),
        (Role.PPK, "ppk", "Citra Maharani"),
        (Role.PENERIMA_BARANG, "penerima", "Dodi Firmansyah"),
        (Role.BENDAHARA, "bendahara", "Eka Wulandari"),
    ]
    satkers: list[Organisation] = []
    for code, name, ministry, k, province, regency in SATKERS:
        satker = services.register_organisation(
            kppn_admins[k],
            kind=OrgKind.SATKER,
            code=code,
            name=name,
            parent=kppns[k],
            ministry_code=ministry,
            province_code=province,
            regency=regency,
            address=f"{regency}, {'DKI Jakarta' if province == '31' else 'Jawa Barat'}",
        )
        satker.npwp = SATKER_NPWP[code]
        satker.nitku = SATKER_NPWP[code] + "000000"
        satker.save(update_fields=["npwp", "nitku"])
        satkers.append(satker)
        admin, _pw = services.register_satker_admin(
            kppn_admins[k],
            satker=satker,
            email=f"admin@{code}.demo.digipay.id",
            full_name=f"Admin Satker {code}",
            nik=niks.next(),
            letter_number=f"KEP-{code}/KPA/2026",
            letter_date=date(2026, 1, 5),
            password=DEMO_PASSWORD,
        )
        made.append(admin)
        for role, local, person in staff:
            user(admin, satker, role, f"{local}@{code}.demo.digipay.id", f"{person} ({code})")
    # The vendors (UMKM-0001, ...) register through the vendors app: digipay.vendors.demo.
    for bank_code in ("002", "008", "009", "200"):
        bank = Organisation.objects.get(kind=OrgKind.BANK, code=bank_code)
        user(
            djpb_admin,
            bank,
            Role.BANK_OPERATOR,
            f"operator@bank{bank_code}.demo.digipay.id",
            f"Operator {bank.name}",
        )
    itjen = services.register_organisation(
        djpb_admin,
        kind=OrgKind.AUDIT_BODY,
        code="ITJEN-KEMENKEU",
        name="Inspektorat Jenderal Kementerian Keuangan",
    )
    auditor = user(
        djpb_admin, itjen, Role.AUDITOR, "auditor@itjen.demo.digipay.id", "Hendra Wijaya"
    )
    services.grant_auditor_access(
        djpb_admin, auditor=auditor, organisation=kanwils[0], valid_until=date(2027, 12, 31)
    )
    for u in User.objects.filter(email__endswith=".demo.digipay.id"):
        enrol(u)
    return True
