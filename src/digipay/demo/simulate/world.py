"""The simulation's own world, made through the real services (decision: docs/adr/0025).

Every run takes a fresh run number ``r`` (1–99) and names everything after it, so it can run on
a database that already holds the demo set or earlier runs:

- satkers ``9rrNNN`` ("SIM r Satker N") under one shared Kanwil ``99`` / KPPN ``999`` (made
  once, reused by later runs), each with its admin, Pemesan, Pejabat Pengadaan, PPK, Penerima
  Barang and Bendahara (``<role>@9rrNNN.sim.digipay.id``);
- vendors ``SIMrr-NNNN`` registered, given a bank account (checked at the bank simulator by an
  account-name inquiry) and verified by their partner satker's Pejabat Pengadaan, each with
  one Ready product;
- UP recorded by the KPPN from an SP2D-UP, and the Bendahara's account at the bank simulator
  holding the UP Tunai.

The PPK and the Bendahara enrol a TOTP device through the real enrolment (``start`` then
``confirm`` with a code computed from the device's key): the simulation knows the keys, so it
can re-authenticate the Bendahara for every payment as a person with an authenticator would.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum import luhn

from digipay.accounts import auth
from digipay.accounts import services as accounts
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind, Role, requires_two_factor
from digipay.catalog import services as catalog
from digipay.catalog.models import Category, Product
from digipay.catalog.rules import ProductKind, ProductState
from digipay.core import clock
from digipay.payments.models import TreasurerAccount
from digipay.treasury import queries as treasury_queries
from digipay.treasury import services as treasury
from digipay.vendors import services as vendors
from digipay.vendors.models import Vendor, VendorBankAccount
from digipay.vendors.rules import BankAccountStatus, LegalForm, LicenceKind, UmkmBasis

PASSWORD = "Simulasi-Digipay-2026"  # noqa: S105 - the simulated users' password, never a real one
KANWIL_CODE, KPPN_CODE = "99", "999"
BANKS = ("002", "008", "009", "200")  # BRI, Mandiri, BNI, BTN (the bank simulator's banks)
DOMAIN = "sim.digipay.id"


def nik(run: int, serial: int) -> str:
    """A valid, obviously synthetic NIK: Jakarta Pusat, born on day ``1 + serial // 9000`` of
    January in the year ``run`` (the demo's NIKs are born 15/08/85: never the same)."""
    day = 1 + (serial // 9000) % 28
    return f"317101{day:02d}01{run:02d}{1000 + serial % 9000:04d}"


def npwp(rng: random.Random) -> str:
    """A 15-digit NPWP with a valid check digit (Luhn over the first nine digits)."""
    head = f"0{rng.randrange(1, 10)}{rng.randrange(10**6, 10**7)}"
    return f"{head}{luhn.calc_check_digit(head)}407000"


def totp_now(device: TOTPDevice, at: float | None = None) -> str:
    """The device's code at ``at`` (default now), as an authenticator app shows it."""
    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    generator.time = time.time() if at is None else at
    return f"{generator.token():0{int(device.digits)}d}"


@dataclass
class SimSatker:
    org: Organisation
    people: dict[str, User]
    treasurer_bank: str
    treasurer_account: str
    # The TOTP devices of the people who re-authenticate (Bendahara, PPSPM) and the last
    # step each used: django-otp accepts one code per 30-second step.
    devices: dict[str, TOTPDevice] = field(default_factory=dict)
    last_steps: dict[str, int] = field(default_factory=dict)


@dataclass
class SimVendor:
    vendor: Vendor
    admin: User
    product: Product
    bank_code: str
    account_no: str


@dataclass
class World:
    run: int
    satkers: list[SimSatker] = field(default_factory=list)
    vendors: list[SimVendor] = field(default_factory=list)
    kppn: Organisation | None = None
    kppn_admin: User | None = None


class _Serials:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def next_run() -> int:
    """The first run number whose satker codes (``9rr…``) are all free."""
    used = {
        int(code[1:3])
        for code in Organisation.objects.filter(
            kind=OrgKind.SATKER, code__startswith="9"
        ).values_list("code", flat=True)
        if code[1:3].isdigit()
    }
    for run in range(1, 100):
        if run not in used:
            return run
    raise RuntimeError("all 99 simulation run numbers are used: simulate on a fresh database")


def _enrol(user: User) -> TOTPDevice:
    device = auth.start_totp_enrolment(user)
    return auth.confirm_totp_enrolment(user, int(device.pk), totp_now(device))


@transaction.atomic
def _hierarchy(run: int, serials: _Serials) -> tuple[Organisation, User]:
    """The shared Kanwil 99 / KPPN 999 of every simulation run (made by the first run)."""
    kppn = Organisation.objects.filter(kind=OrgKind.KPPN, code=KPPN_CODE).first()
    if kppn is not None:
        admin = User.objects.filter(organisation=kppn, role=Role.KPPN_ADMIN, is_active=True).first()
        if admin is None:
            raise RuntimeError(f"KPPN {KPPN_CODE} exists without an active admin")
        return kppn, admin
    djpb_admin = User.objects.filter(role=Role.DJPB_ADMIN, is_active=True).order_by("id").first()
    if djpb_admin is None:
        djpb_admin = accounts.bootstrap_djpb_admin(
            email=f"admin@djpb.{DOMAIN}",
            full_name="Admin DJPb Simulasi",
            nik=nik(run, serials.next()),
            password=PASSWORD,
        )
    djpb = Organisation.objects.get(kind=OrgKind.DJPB)
    kanwil = accounts.register_organisation(
        djpb_admin,
        kind=OrgKind.KANWIL,
        code=KANWIL_CODE,
        parent=djpb,
        name="Kanwil DJPb Simulasi",
        province_code="31",
    )
    kanwil_admin, _pw = accounts.create_user(
        djpb_admin,
        organisation=kanwil,
        email=f"admin@kanwil{KANWIL_CODE}.{DOMAIN}",
        full_name="Admin Kanwil Simulasi",
        nik=nik(run, serials.next()),
        role=Role.KANWIL_ADMIN,
        password=PASSWORD,
    )
    kppn = accounts.register_organisation(
        kanwil_admin,
        kind=OrgKind.KPPN,
        code=KPPN_CODE,
        parent=kanwil,
        name="KPPN Simulasi",
        province_code="31",
        regency="Jakarta Pusat",
    )
    kppn_admin, _pw = accounts.create_user(
        kanwil_admin,
        organisation=kppn,
        email=f"admin@kppn{KPPN_CODE}.{DOMAIN}",
        full_name="Admin KPPN Simulasi",
        nik=nik(run, serials.next()),
        role=Role.KPPN_ADMIN,
        password=PASSWORD,
    )
    return kppn, kppn_admin


STAFF = (
    (Role.PEMESAN, "pemesan"),
    (Role.PEJABAT_PENGADAAN, "pengadaan"),
    (Role.PPK, "ppk"),
    (Role.PENERIMA_BARANG, "penerima"),
    (Role.BENDAHARA, "bendahara"),
    (Role.PPSPM, "ppspm"),
)


@transaction.atomic
def _satker(
    world: World, index: int, serials: _Serials, kppn: Organisation, kppn_admin: User
) -> SimSatker:
    code = f"9{world.run:02d}{index:03d}"
    org = accounts.register_organisation(
        kppn_admin,
        kind=OrgKind.SATKER,
        code=code,
        name=f"SIM {world.run} Satker {index}",
        parent=kppn,
        ministry_code="015",
        province_code="31",
        regency="Jakarta Pusat",
        address=f"Jl. Simulasi No. {index}, Jakarta Pusat",
    )
    admin, _pw = accounts.register_satker_admin(
        kppn_admin,
        satker=org,
        email=f"admin@{code}.{DOMAIN}",
        full_name=f"Admin Satker {code}",
        nik=nik(world.run, serials.next()),
        letter_number=f"KEP-{code}/KPA/SIM",
        letter_date=date(clock.today_jakarta().year, 1, 5),
        password=PASSWORD,
    )
    people = {"admin": admin}
    for role, local in STAFF:
        people[local], _pw = accounts.create_user(
            admin,
            organisation=org,
            email=f"{local}@{code}.{DOMAIN}",
            full_name=f"{local.title()} Simulasi {code}",
            nik=nik(world.run, serials.next()),
            role=role,
            password=PASSWORD,
        )
    bank = BANKS[index % len(BANKS)]
    account_no = f"8{world.run:02d}{index:07d}"
    TreasurerAccount.objects.create(
        satker=org, bank_code=bank, account_no=account_no, holder_name=f"BPG {code} SIMULASI"
    )
    return SimSatker(org, people, bank, account_no)


def _vendor(
    world: World,
    index: int,
    serials: _Serials,
    rng: random.Random,
    leaf_ids: list[int],
    price: int,
    check_account: Callable[[VendorBankAccount], VendorBankAccount],
) -> SimVendor:
    code = f"SIM{world.run:02d}-{index:04d}"
    partner = world.satkers[index % len(world.satkers)]
    name = f"CV Simulasi {world.run} Mitra {index}"
    bank = BANKS[(index + 1) % len(BANKS)]
    account_no = f"7{world.run:02d}{index:07d}"
    with transaction.atomic():
        vendor = vendors.register_vendor(
            vendors.Registration(
                owner_name=f"Pemilik Simulasi {index}",
                owner_nik=nik(world.run, serials.next()),
                email=f"admin@{code.lower()}.{DOMAIN}",
                phone=f"0812{rng.randrange(10**7, 10**8)}",
                password=PASSWORD,
                business_name=name,
                legal_form=LegalForm.CV,
                licence_kind=LicenceKind.NIB,
                licence_number=f"9{rng.randrange(10**11, 10**12)}",
                kbli_codes=["46900"],
                address=f"Jl. Mitra No. {index}",
                province_code="31",
                regency="Jakarta Pusat",
                npwp=npwp(rng),
                is_pkp=index % 3 == 0,  # a third charge PPN
                umkm_basis=UmkmBasis.SALES,
                umkm_amount_idr=3_200_000_000,
                partner_satker_code=partner.org.code,
            ),
            organisation_code=code,
        )
        admin = User.objects.get(organisation_id=vendor.organisation_id, role=Role.VENDOR_ADMIN)
        vendors.add_bank_account(
            admin, vendor, bank_code=bank, account_no=account_no, holder_name=name
        )
        vendor = vendors.verify_vendor(partner.people["pengadaan"], vendor)
    account = VendorBankAccount.objects.get(vendor=vendor, account_no=account_no)
    account = check_account(account)  # the account-name inquiry at the bank simulator
    if account.status != BankAccountStatus.VERIFIED:
        raise RuntimeError(f"vendor account {account_no} not confirmed by the bank: {account}")
    with transaction.atomic():
        product = catalog.create_product(
            admin,
            vendor,
            catalog.ProductInput(
                sku=f"SIM-{index:04d}",
                name=f"Kertas simulasi A4 mitra {index}",
                category_id=leaf_ids[index % len(leaf_ids)],
                unit="rim",
                price_idr=price,
                kind=ProductKind.GOODS,
                stock=10_000_000,
                is_pdn=True,
            ),
        )
        product = catalog.change_state(admin, product, state=ProductState.PUBLISHED)
        product = catalog.change_state(admin, product, state=ProductState.READY)
    return SimVendor(vendor, admin, product, bank, account_no)


def leaf_categories() -> list[int]:
    return list(
        Category.objects.filter(is_active=True)
        .exclude(children__is_active=True)
        .order_by("id")
        .values_list("id", flat=True)[:20]
    )


def build(
    *,
    satkers: int,
    vendor_count: int,
    rng: random.Random,
    prices: list[int],
    up_tunai_needed: list[int],
    open_treasurer_account: Callable[[SimSatker, int], None],
    open_vendor_account: Callable[[str, str, str], None],
    check_account: Callable[[VendorBankAccount], VendorBankAccount],
    progress: Callable[[str, int], None],
) -> World:
    """Make the run's satkers, people, vendors, products and UP. ``up_tunai_needed[i]`` is the
    UP Tunai satker ``i + 1`` must hold; the bank account of its Bendahara is opened with
    exactly what the ledger says it holds."""
    run = next_run()
    world = World(run)
    serials = _Serials()
    kppn, kppn_admin = _hierarchy(run, serials)
    world.kppn, world.kppn_admin = kppn, kppn_admin
    year = clock.today_jakarta().year
    for index in range(1, satkers + 1):
        sim = _satker(world, index, serials, kppn, kppn_admin)
        for local, person in sim.people.items():
            if requires_two_factor(person.role):
                device = _enrol(person)
                sim.devices[local] = device
                sim.last_steps[local] = int(device.last_t)
        # UP Tunai is the share not given to KKP: ask for enough UP that the Tunai part covers
        # the run, in whole millions.
        share = treasury_queries.kkp_share(sim.org, clock.today_jakarta())
        tunai_share = 1 - share
        needed = up_tunai_needed[index - 1]
        amount = -(-needed * tunai_share.denominator // tunai_share.numerator)
        amount = -(-amount // 1_000_000) * 1_000_000
        treasury.record_up(
            kppn_admin,
            satker=sim.org,
            fiscal_year=year,
            funding_source="RM",
            sp2d_number=f"{year}{sim.org.code}UP01",
            sp2d_date=date(year, 1, 15),
            annual_budget_idr=amount * 12,
            amount_idr=amount,
            kanwil_approval_ref=f"SIM-{run}-UP-{index}",
        )
        tunai = int(treasury_queries.up_position(sim.org)["tunai"].available)
        open_treasurer_account(sim, tunai)
        world.satkers.append(sim)
        progress("satker", index)
    leaf_ids = leaf_categories()
    if not leaf_ids:
        raise RuntimeError("no catalog categories: run `digipay migrate` first")
    for index in range(1, vendor_count + 1):
        name = f"CV Simulasi {run} Mitra {index}"
        open_vendor_account(BANKS[(index + 1) % len(BANKS)], f"7{run:02d}{index:07d}", name)
        world.vendors.append(
            _vendor(
                world,
                index,
                serials,
                rng,
                leaf_ids,
                prices[(index - 1) % len(prices)],
                check_account,
            )
        )
        progress("vendor", index)
    return world
