"""Pure rules of accounts: roles, what each may do, who may create whom, separation of duties.

No database access here: these are tables and functions that the services and the permission
gate consult, and that tests can check exhaustively.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import npwp as stdnum_npwp


class OrgKind(models.TextChoices):
    DJPB = "DJPB", _("Ditjen Perbendaharaan")
    KANWIL = "KANWIL", _("Kanwil DJPb")
    KPPN = "KPPN", _("KPPN")
    SATKER = "SATKER", _("Satker")
    VENDOR = "VENDOR", _("Vendor")
    BANK = "BANK", _("Bank")
    AUDIT_BODY = "AUDIT_BODY", _("Aparat pengawas")


class Role(models.TextChoices):
    DJPB_ADMIN = "DJPB_ADMIN", _("Admin DJPb")
    KANWIL_ADMIN = "KANWIL_ADMIN", _("Admin Kanwil")
    KPPN_ADMIN = "KPPN_ADMIN", _("Admin KPPN")
    SATKER_ADMIN = "SATKER_ADMIN", _("Admin Satker")
    PEMESAN = "PEMESAN", _("Pemesan")
    PEJABAT_PENGADAAN = "PEJABAT_PENGADAAN", _("Pejabat Pengadaan")
    PPK = "PPK", _("PPK")
    PENERIMA_BARANG = "PENERIMA_BARANG", _("Penerima Barang")
    BENDAHARA = "BENDAHARA", _("Bendahara Pengeluaran")
    KPA = "KPA", _("KPA")
    PPSPM = "PPSPM", _("PPSPM")
    VENDOR_ADMIN = "VENDOR_ADMIN", _("Admin Vendor")
    VENDOR_STAFF = "VENDOR_STAFF", _("Staf Vendor")
    VENDOR_COURIER = "VENDOR_COURIER", _("Kurir Vendor")
    BANK_OPERATOR = "BANK_OPERATOR", _("Operator Bank")
    AUDITOR = "AUDITOR", _("Auditor")


# The kind of organisation each role lives in.
ROLE_ORG_KIND: Mapping[str, str] = {
    Role.DJPB_ADMIN: OrgKind.DJPB,
    Role.KANWIL_ADMIN: OrgKind.KANWIL,
    Role.KPPN_ADMIN: OrgKind.KPPN,
    Role.SATKER_ADMIN: OrgKind.SATKER,
    Role.PEMESAN: OrgKind.SATKER,
    Role.PEJABAT_PENGADAAN: OrgKind.SATKER,
    Role.PPK: OrgKind.SATKER,
    Role.PENERIMA_BARANG: OrgKind.SATKER,
    Role.BENDAHARA: OrgKind.SATKER,
    Role.KPA: OrgKind.SATKER,
    Role.PPSPM: OrgKind.SATKER,
    Role.VENDOR_ADMIN: OrgKind.VENDOR,
    Role.VENDOR_STAFF: OrgKind.VENDOR,
    Role.VENDOR_COURIER: OrgKind.VENDOR,
    Role.BANK_OPERATOR: OrgKind.BANK,
    Role.AUDITOR: OrgKind.AUDIT_BODY,
}

ADMIN_ROLES = frozenset(
    {Role.DJPB_ADMIN, Role.KANWIL_ADMIN, Role.KPPN_ADMIN, Role.SATKER_ADMIN, Role.VENDOR_ADMIN}
)
# The five operational roles every satker needs, plus optional viewers.
SATKER_OPERATIONAL_ROLES = frozenset(
    {Role.PEMESAN, Role.PEJABAT_PENGADAAN, Role.PPK, Role.PENERIMA_BARANG, Role.BENDAHARA}
)
SATKER_STAFF_ROLES = SATKER_OPERATIONAL_ROLES | {Role.KPA, Role.PPSPM}
# Roles that move money or grant access must prove a second factor (TOTP).
TWO_FACTOR_ROLES = ADMIN_ROLES | {Role.PPK, Role.BENDAHARA, Role.PPSPM}

# Who may create a user of which role (the target must also be inside the creator's tenant).
CREATABLE_ROLES: Mapping[str, frozenset[str]] = {
    Role.DJPB_ADMIN: frozenset(
        {Role.DJPB_ADMIN, Role.KANWIL_ADMIN, Role.KPPN_ADMIN, Role.BANK_OPERATOR, Role.AUDITOR}
    ),
    Role.KANWIL_ADMIN: frozenset({Role.KPPN_ADMIN}),
    Role.KPPN_ADMIN: frozenset({Role.SATKER_ADMIN}),
    Role.SATKER_ADMIN: SATKER_STAFF_ROLES,
    Role.VENDOR_ADMIN: frozenset({Role.VENDOR_STAFF, Role.VENDOR_COURIER}),
}

# A satker admin is registered only on the KPA's appointment letter, through its own service.
ROLES_NEEDING_APPOINTMENT = frozenset({Role.SATKER_ADMIN})

# Who may register which kind of organisation (the parent must be inside the creator's reach).
CREATABLE_ORG_KINDS: Mapping[str, frozenset[str]] = {
    Role.DJPB_ADMIN: frozenset(
        {OrgKind.KANWIL, OrgKind.KPPN, OrgKind.SATKER, OrgKind.BANK, OrgKind.AUDIT_BODY}
    ),
    Role.KANWIL_ADMIN: frozenset({OrgKind.KPPN}),
    Role.KPPN_ADMIN: frozenset({OrgKind.SATKER}),
}
# The kind of parent each kind hangs under (None: no parent).
PARENT_KIND: Mapping[str, str | None] = {
    OrgKind.DJPB: None,
    OrgKind.KANWIL: OrgKind.DJPB,
    OrgKind.KPPN: OrgKind.KANWIL,
    OrgKind.SATKER: OrgKind.KPPN,
    OrgKind.VENDOR: None,
    OrgKind.BANK: None,
    OrgKind.AUDIT_BODY: None,
}
ORG_CODE_PATTERNS: Mapping[str, str] = {
    OrgKind.KANWIL: r"^\d{2}$",
    OrgKind.KPPN: r"^\d{3}$",
    OrgKind.SATKER: r"^\d{6}$",
    OrgKind.BANK: r"^\d{3}$",
    OrgKind.AUDIT_BODY: r"^[A-Z0-9-]{2,20}$",
    OrgKind.VENDOR: r"^[A-Z0-9-]{2,20}$",
}

MAX_DELEGATION_DAYS = 90


@dataclass(frozen=True, slots=True)
class ActionPolicy:
    roles: frozenset[str]
    # The step this action is, for separation of duties (None: not a step of a purchase).
    step: str | None = None
    # Read-only actions may be done by auditors inside their grants.
    read_only: bool = False


_ALL_ROLES = frozenset(Role.values)
_USER_ADMINS = frozenset(CREATABLE_ROLES)

ACTIONS: Mapping[str, ActionPolicy] = {
    "organisation.view": ActionPolicy(_ALL_ROLES, read_only=True),
    "organisation.create": ActionPolicy(frozenset(CREATABLE_ORG_KINDS)),
    "user.view": ActionPolicy(_USER_ADMINS | {Role.AUDITOR}, read_only=True),
    "user.create": ActionPolicy(_USER_ADMINS),
    "user.change_role": ActionPolicy(_USER_ADMINS),
    "user.disable": ActionPolicy(_USER_ADMINS),
    "satker_admin.register": ActionPolicy(frozenset({Role.KPPN_ADMIN})),
    "delegation.view": ActionPolicy(frozenset({Role.SATKER_ADMIN, Role.AUDITOR}), read_only=True),
    "delegation.create": ActionPolicy(frozenset({Role.SATKER_ADMIN})),
    "delegation.revoke": ActionPolicy(frozenset({Role.SATKER_ADMIN})),
    "auditor.grant": ActionPolicy(frozenset({Role.DJPB_ADMIN})),
    "api_token.revoke": ActionPolicy(_ALL_ROLES),
    "policy.view": ActionPolicy(_ALL_ROLES, read_only=True),
    "policy.edit": ActionPolicy(frozenset({Role.DJPB_ADMIN})),
    # Tax: every signed-in user may quote taxes and read the tax table; DJPb admins add rows.
    "tax.quote": ActionPolicy(_ALL_ROLES, read_only=True),
    "tax.manage": ActionPolicy(frozenset({Role.DJPB_ADMIN})),
    # Treasury: UP is recorded by the paying KPPN, the KKP share set by the Kanwil, cards
    # managed inside the satker; the UP position is visible to the satker and its overseers.
    "up.view": ActionPolicy(
        frozenset({Role.DJPB_ADMIN, Role.KANWIL_ADMIN, Role.KPPN_ADMIN, Role.AUDITOR})
        | SATKER_STAFF_ROLES
        | {Role.SATKER_ADMIN},
        read_only=True,
    ),
    "up.record": ActionPolicy(frozenset({Role.KPPN_ADMIN})),
    "up.set_kkp_share": ActionPolicy(frozenset({Role.KANWIL_ADMIN})),
    "card.view": ActionPolicy(
        frozenset(
            {Role.SATKER_ADMIN, Role.BENDAHARA, Role.PPK, Role.KPA, Role.AUDITOR, Role.KPPN_ADMIN}
        ),
        read_only=True,
    ),
    "card.manage": ActionPolicy(frozenset({Role.SATKER_ADMIN, Role.BENDAHARA})),
    "audit.view": ActionPolicy(
        frozenset({Role.DJPB_ADMIN, Role.KANWIL_ADMIN, Role.KPPN_ADMIN, Role.AUDITOR}),
        read_only=True,
    ),
    # Vendors: the Pejabat Pengadaan invites; the vendor admin keeps the profile; the partner
    # satker (gate object: ``Vendor.partner_view()``) verifies; the KPPN above it suspends.
    "vendor.invite": ActionPolicy(frozenset({Role.PEJABAT_PENGADAAN})),
    "vendor.view": ActionPolicy(
        frozenset(
            {
                Role.VENDOR_ADMIN,
                Role.VENDOR_STAFF,
                Role.PEJABAT_PENGADAAN,
                Role.PPK,
                Role.KPPN_ADMIN,
                Role.KANWIL_ADMIN,
                Role.DJPB_ADMIN,
                Role.AUDITOR,
            }
        ),
        read_only=True,
    ),
    "vendor.edit": ActionPolicy(frozenset({Role.VENDOR_ADMIN})),
    "vendor.verify": ActionPolicy(frozenset({Role.PEJABAT_PENGADAAN, Role.PPK})),
    "vendor.suspend": ActionPolicy(frozenset({Role.KPPN_ADMIN, Role.DJPB_ADMIN})),
    # Catalog: every signed-in role may browse it; the vendor's admin and staff keep products.
    "catalog.browse": ActionPolicy(_ALL_ROLES, read_only=True),
    "product.view_own": ActionPolicy(
        frozenset({Role.VENDOR_ADMIN, Role.VENDOR_STAFF, Role.VENDOR_COURIER}), read_only=True
    ),
    "product.manage": ActionPolicy(frozenset({Role.VENDOR_ADMIN, Role.VENDOR_STAFF})),
    "category.manage": ActionPolicy(frozenset({Role.DJPB_ADMIN})),
    # Orders (gate object: the order for the satker side, ``Order.vendor_view()`` for the
    # vendor side). The purchase steps carry ``step`` so that separation of duties is one table
    # for the whole system.
    "order.view": ActionPolicy(
        SATKER_STAFF_ROLES
        | {
            Role.SATKER_ADMIN,
            Role.VENDOR_ADMIN,
            Role.VENDOR_STAFF,
            Role.VENDOR_COURIER,
            Role.KPPN_ADMIN,
            Role.KANWIL_ADMIN,
            Role.DJPB_ADMIN,
            Role.AUDITOR,
        },
        read_only=True,
    ),
    "order.cart": ActionPolicy(frozenset({Role.PEMESAN})),
    "order.prepare": ActionPolicy(frozenset({Role.PEJABAT_PENGADAAN}), step="order"),
    "order.vendor_respond": ActionPolicy(frozenset({Role.VENDOR_ADMIN, Role.VENDOR_STAFF})),
    "order.ship": ActionPolicy(
        frozenset({Role.VENDOR_ADMIN, Role.VENDOR_STAFF, Role.VENDOR_COURIER})
    ),
    # After the vendor confirmed: the buyer side of a change both parties must agree on
    # (cancellation, delivery date); the KPPN help desk decides a disputed cancellation.
    "order.amend": ActionPolicy(frozenset({Role.PEJABAT_PENGADAAN, Role.PPK})),
    "order.mediate": ActionPolicy(frozenset({Role.KPPN_ADMIN})),
    "order.submit": ActionPolicy(frozenset({Role.PEJABAT_PENGADAAN}), step="order"),
    "order.approve": ActionPolicy(frozenset({Role.PPK}), step="approve"),
    "order.receive": ActionPolicy(frozenset({Role.PENERIMA_BARANG}), step="receive"),
    "invoice.pay": ActionPolicy(frozenset({Role.BENDAHARA}), step="pay"),
    # Invoices (tagihan, docs/adr/0016): the satker's Bendahara, PPK and KPA and the overseers
    # read them; the vendor (gate object ``Invoice.vendor_view()``) reads its own and adds its
    # invoice and faktur numbers; the PPK tests (verifies or returns) and credits them as part
    # of its "approve" step, so whoever verified can never pay (approve+pay).
    "invoice.view": ActionPolicy(
        frozenset(
            {
                Role.BENDAHARA,
                Role.PPK,
                Role.KPA,
                Role.VENDOR_ADMIN,
                Role.VENDOR_STAFF,
                Role.KPPN_ADMIN,
                Role.KANWIL_ADMIN,
                Role.DJPB_ADMIN,
                Role.AUDITOR,
            }
        ),
        read_only=True,
    ),
    "invoice.vendor_edit": ActionPolicy(frozenset({Role.VENDOR_ADMIN, Role.VENDOR_STAFF})),
    "invoice.verify": ActionPolicy(frozenset({Role.PPK}), step="approve"),
    "invoice.credit": ActionPolicy(frozenset({Role.PPK}), step="approve"),
    # --- payments: tax deposits and refunds (issue 8; the payments app) ---
    "tax_deposit.pay": ActionPolicy(frozenset({Role.BENDAHARA}), step="pay"),
    "refund.request": ActionPolicy(frozenset({Role.PPK}), step="approve"),
    "refund.view": ActionPolicy(
        frozenset(
            {
                Role.BENDAHARA,
                Role.PPK,
                Role.KPA,
                Role.VENDOR_ADMIN,
                Role.VENDOR_STAFF,
                Role.KPPN_ADMIN,
                Role.AUDITOR,
            }
        ),
        read_only=True,
    ),
    # --- end payments block ---
    # --- cardbills: the KKP monthly bill (issue 8) ---
    "card_bill.view": ActionPolicy(
        frozenset(
            {
                Role.BENDAHARA,
                Role.PPK,
                Role.KPA,
                Role.SATKER_ADMIN,
                Role.KPPN_ADMIN,
                Role.AUDITOR,
            }
        ),
        read_only=True,
    ),
    "card_bill.verify": ActionPolicy(frozenset({Role.PPK}), step="approve"),
    "card_bill.pay": ActionPolicy(frozenset({Role.BENDAHARA}), step="pay"),
    # --- end cardbills block ---
    # --- replenishment: GUP/TUP through SPAN (issue 8) ---
    "spm.view": ActionPolicy(
        frozenset(
            {
                Role.BENDAHARA,
                Role.PPK,
                Role.KPA,
                Role.PPSPM,
                Role.KPPN_ADMIN,
                Role.KANWIL_ADMIN,
                Role.DJPB_ADMIN,
                Role.AUDITOR,
            }
        ),
        read_only=True,
    ),
    "spm.draft": ActionPolicy(frozenset({Role.BENDAHARA})),
    "spm.sign": ActionPolicy(frozenset({Role.PPSPM})),
    "spm.decide": ActionPolicy(frozenset({Role.KPPN_ADMIN})),
    "tup.request": ActionPolicy(frozenset({Role.BENDAHARA})),
    # --- end replenishment block ---
    # --- books: BKU, LPJ, reconciliation (issue 8) ---
    "books.view": ActionPolicy(
        frozenset(
            {
                Role.BENDAHARA,
                Role.PPK,
                Role.KPA,
                Role.KPPN_ADMIN,
                Role.KANWIL_ADMIN,
                Role.DJPB_ADMIN,
                Role.AUDITOR,
            }
        ),
        read_only=True,
    ),
    "lpj.submit": ActionPolicy(frozenset({Role.BENDAHARA})),
    "reconciliation.view": ActionPolicy(
        frozenset({Role.BENDAHARA, Role.PPK, Role.KPA, Role.KPPN_ADMIN, Role.AUDITOR}),
        read_only=True,
    ),
    "reconciliation.resolve": ActionPolicy(frozenset({Role.BENDAHARA, Role.KPPN_ADMIN})),
    # --- end books block ---
    "tax_report.view": ActionPolicy(
        frozenset(
            {
                Role.BENDAHARA,
                Role.PPK,
                Role.KPA,
                Role.KPPN_ADMIN,
                Role.KANWIL_ADMIN,
                Role.DJPB_ADMIN,
                Role.AUDITOR,
            }
        ),
        read_only=True,
    ),
}

# Steps one person must never combine on the same purchase.
INCOMPATIBLE_STEPS: frozenset[frozenset[str]] = frozenset(
    {
        frozenset({"order", "approve"}),
        frozenset({"approve", "pay"}),
        frozenset({"approve", "receive"}),
        frozenset({"receive", "pay"}),
    }
)


def role_allows(roles: Iterable[str], action: str) -> bool:
    policy = ACTIONS.get(action)
    if policy is None:
        raise KeyError(f"unknown action {action!r}")
    return any(role in policy.roles for role in roles)


def conflicting_steps(step: str) -> frozenset[str]:
    """Steps that the person doing ``step`` must not have done on the same object."""
    return frozenset(
        other for pair in INCOMPATIBLE_STEPS if step in pair for other in pair - {step}
    )


def violates_separation(
    *, actor_id: int, step: str | None, duty_holders: Mapping[str, Iterable[int]]
) -> str | None:
    """The earlier step that conflicts with this one, if the actor did it; else None."""
    if step is None:
        return None
    for other in sorted(conflicting_steps(step)):
        if actor_id in set(duty_holders.get(other, ())):
            return other
    return None


def can_create_role(creator_role: str, target_role: str) -> bool:
    return target_role in CREATABLE_ROLES.get(creator_role, frozenset())


def role_fits_organisation(role: str, org_kind: str) -> bool:
    return ROLE_ORG_KIND.get(role) == org_kind


def requires_two_factor(role: str) -> bool:
    return role in TWO_FACTOR_ROLES


def organisation_error(*, kind: str, code: str, name: str, parent_kind: str | None) -> str | None:
    """Why an organisation may not be registered like this, or None."""
    pattern = ORG_CODE_PATTERNS.get(kind)
    if pattern is None:
        return str(_("Jenis organisasi tidak dikenal."))
    if not re.match(pattern, code):
        return str(
            _("Format kode organisasi tidak sesuai (satker 6 digit, KPPN 3 digit, Kanwil 2 digit).")
        )
    if len(name.strip()) < 3:
        return str(_("Nama organisasi wajib diisi."))
    if PARENT_KIND.get(kind) != parent_kind:
        return str(_("Induk organisasi tidak sesuai dengan jenisnya."))
    return None


def delegation_error(
    *,
    delegate_role: str,
    delegated_role: str,
    valid_from: datetime,
    valid_until: datetime,
    now: datetime,
) -> str | None:
    """Why a delegation may not be recorded, or None if it may."""
    if delegated_role not in SATKER_OPERATIONAL_ROLES:
        return str(_("Hanya peran operasional satker yang dapat didelegasikan."))
    if delegate_role not in SATKER_STAFF_ROLES:
        return str(_("Delegasi hanya dapat diberikan kepada pegawai satker."))
    if delegated_role == delegate_role:
        return str(_("Pengguna sudah memegang peran tersebut."))
    if valid_until <= valid_from:
        return str(_("Tanggal akhir delegasi harus setelah tanggal mulai."))
    if valid_until <= now:
        return str(_("Delegasi yang sudah berakhir tidak dapat dicatat."))
    if valid_until - valid_from > timedelta(days=MAX_DELEGATION_DAYS):
        return str(_("Delegasi paling lama %(days)d hari.") % {"days": MAX_DELEGATION_DAYS})
    return None


def appointment_error(*, letter_number: str, letter_date: date, today: date) -> str | None:
    if not letter_number.strip():
        return str(_("Nomor surat penunjukan KPA wajib diisi."))
    if letter_date > today:
        return str(_("Tanggal surat penunjukan tidak boleh di masa depan."))
    return None


# --- tax identity of an organisation (the satker's NPWP and NITKU on withholding slips) ----


def clean_npwp16(value: str) -> str | None:
    """The NPWP in its 16-digit form (a 15-digit NPWP gets the leading "0", PMK 112/2022),
    or None when it is not a valid NPWP (check digit by python-stdnum)."""
    digits = re.sub(r"[.\-\s]", "", value or "")
    if not re.fullmatch(r"\d{15}|\d{16}", digits) or set(digits) == {"0"}:
        return None
    try:
        compact = str(stdnum_npwp.validate(digits))
    except StdnumError:
        return None
    return compact if len(compact) == 16 else "0" + compact


def clean_nitku(value: str, *, npwp16: str) -> str | None:
    """The NITKU (tax location id): the NPWP-16 followed by 6 digits ("000000" for the head
    office), or None when it does not belong to that NPWP."""
    digits = re.sub(r"[.\-\s]", "", value or "")
    if not re.fullmatch(r"\d{22}", digits) or not npwp16 or digits[:16] != npwp16:
        return None
    return digits
