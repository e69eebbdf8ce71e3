"""Treasury use cases. Each: one transaction, lock, gate, rules (and policy in force), write,
ledger entry, audit event — in that order, so a refusal changes nothing."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind, Role
from digipay.accounts.services import audit
from digipay.core import clock
from digipay.core.errors import Conflict, ValidationFailed
from digipay.ledger import queries as ledger_queries
from digipay.ledger import services as ledger
from digipay.ledger.rules import Leg
from digipay.policy import queries as policy
from digipay.policy.rules import PolicyKey
from digipay.treasury import chart, queries, rules
from digipay.treasury.models import (
    CardStatus,
    KkpCard,
    KkpShareSetting,
    UpAllocation,
    UpKind,
    UpReturn,
)


def _lock_satker(satker: Organisation) -> Organisation:
    locked = (
        Organisation.objects.select_for_update(of=("self",))
        .select_related("parent")
        .get(pk=satker.pk)
    )
    if locked.kind != OrgKind.SATKER or locked.parent is None:
        raise ValidationFailed(_("Organisasi ini bukan satker."))
    return locked


@transaction.atomic
def record_up(
    actor: User,
    *,
    satker: Organisation,
    fiscal_year: int,
    funding_source: str,
    sp2d_number: str,
    sp2d_date: date,
    annual_budget_idr: int,
    amount_idr: int,
    kanwil_approval_ref: str = "",
) -> UpAllocation:
    """The paying KPPN records a satker's UP from its SP2D-UP; the money enters the ledger,
    split into UP Tunai and UP KKP by the satker's KKP share."""
    satker = _lock_satker(satker)
    require(actor, "up.record", satker)
    if funding_source not in rules.FundingSource.values:
        raise ValidationFailed(_("Sumber dana tidak dikenal."), details={"field": "funding_source"})
    if sp2d_date.year != fiscal_year:
        raise ValidationFailed(
            _("Tanggal SP2D harus dalam tahun anggaran."), details={"field": "sp2d_date"}
        )
    problem = rules.up_ceiling_error(
        amount=amount_idr,
        annual_budget=annual_budget_idr,
        max_fraction=policy.value_in_force(PolicyKey.UP_MAX_FRACTION, sp2d_date),
        ceiling=policy.idr_in_force(PolicyKey.UP_CEILING, sp2d_date),
        kanwil_approval_ref=kanwil_approval_ref,
    )
    if problem:
        raise ValidationFailed(problem, code="up_ceiling", details={"field": "amount_idr"})
    if UpAllocation.objects.filter(
        satker=satker, fiscal_year=fiscal_year, funding_source=funding_source, kind=UpKind.UP
    ).exists():
        raise Conflict(
            _("UP untuk sumber dana ini pada tahun tersebut sudah dicatat."), code="up_exists"
        )
    tunai, kkp = rules.split_up(amount_idr, queries.kkp_share(satker, sp2d_date))
    try:
        with transaction.atomic():
            allocation = UpAllocation.objects.create(
                satker=satker,
                kind=UpKind.UP,
                fiscal_year=fiscal_year,
                funding_source=funding_source,
                sp2d_number=sp2d_number.strip(),
                sp2d_date=sp2d_date,
                annual_budget_idr=annual_budget_idr,
                amount_idr=amount_idr,
                tunai_idr=tunai,
                kkp_idr=kkp,
                kanwil_approval_ref=kanwil_approval_ref.strip(),
                recorded_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(_("Nomor SP2D ini sudah dicatat."), code="sp2d_exists") from exc
    book = chart.satker_book(satker)
    kppn = chart.kppn_book(satker.parent, satker)  # type: ignore[arg-type]
    legs = [Leg(kppn.receivable.pk, amount_idr), Leg(kppn.disbursed.pk, -amount_idr)]
    if tunai:
        legs += [Leg(book.up_tunai.pk, tunai), Leg(book.fund_tunai.pk, -tunai)]
    if kkp:
        legs += [Leg(book.up_kkp.pk, kkp), Leg(book.fund_kkp.pk, -kkp)]
    entry = ledger.post(
        key=f"up:{allocation.pk}",
        tenant_id=satker.pk,
        reason_code="UP_ADVANCE",
        legs=legs,
        source_type="treasury.upallocation",
        source_id=str(allocation.pk),
        memo=f"SP2D-UP {allocation.sp2d_number}",
    )
    allocation.ledger_entry_id = entry.pk
    allocation.save(update_fields=["ledger_entry_id"])
    audit(
        actor,
        "up.recorded",
        allocation,
        after={
            "sp2d_number": allocation.sp2d_number,
            "amount_idr": amount_idr,
            "tunai_idr": tunai,
            "kkp_idr": kkp,
            "funding_source": funding_source,
        },
    )
    return allocation


@transaction.atomic
def set_kkp_share(
    actor: User, *, satker: Organisation, share: Fraction, reason: str
) -> KkpShareSetting:
    """The Kanwil sets a satker's KKP share for its next UP (default: the policy value)."""
    satker = _lock_satker(satker)
    require(actor, "up.set_kkp_share", satker)
    if not 0 <= share <= 1:
        raise ValidationFailed(_("Porsi KKP harus antara 0% dan 100%."), details={"field": "share"})
    if not reason.strip():
        raise ValidationFailed(
            _("Alasan perubahan porsi KKP wajib diisi."), details={"field": "reason"}
        )
    before = queries.kkp_share(satker, clock.today_jakarta())
    setting = KkpShareSetting.objects.create(
        satker=satker,
        share_numerator=share.numerator,
        share_denominator=share.denominator,
        reason=reason.strip(),
        set_by=actor,
    )
    audit(
        actor,
        "up.kkp_share_set",
        setting,
        before={"share": str(before)},
        after={"share": str(share), "reason": setting.reason},
    )
    return setting


@transaction.atomic
def record_tup(
    actor: User,
    *,
    satker: Organisation,
    amount_idr: int,
    sp2d_number: str,
    sp2d_date: date,
    reason: str,
    funding_source: str = rules.FundingSource.RM,
) -> UpAllocation:
    """Extra UP (all Tunai) for an urgent need, due to be accounted for within a month."""
    satker = _lock_satker(satker)
    require(actor, "up.record", satker)
    return _record_tup(
        actor,
        satker=satker,
        amount_idr=amount_idr,
        sp2d_number=sp2d_number,
        sp2d_date=sp2d_date,
        reason=reason,
        funding_source=funding_source,
        due_date=rules.tup_due_date(sp2d_date, 0),
    )


@transaction.atomic
def record_tup_from_sp2d(
    *,
    decided_by: User,
    satker: Organisation,
    amount_idr: int,
    sp2d_number: str,
    sp2d_date: date,
    due_date: date,
    reason: str,
) -> UpAllocation:
    """The TUP of an SPM-TUP whose SP2D SPAN credited (replenishment): recorded as the KPPN
    user who approved it, with SPAN's due date. No gate here: the gate was the approval
    (``spm.decide``); this runs in the worker or the approval's own request. The same SP2D
    twice is refused by the database (``treasury_sp2d_once``)."""
    satker = _lock_satker(satker)
    return _record_tup(
        decided_by,
        satker=satker,
        amount_idr=amount_idr,
        sp2d_number=sp2d_number,
        sp2d_date=sp2d_date,
        reason=reason,
        funding_source=rules.FundingSource.RM,
        due_date=due_date,
    )


def _record_tup(
    actor: User,
    *,
    satker: Organisation,
    amount_idr: int,
    sp2d_number: str,
    sp2d_date: date,
    reason: str,
    funding_source: str,
    due_date: date,
) -> UpAllocation:
    if amount_idr <= 0:
        raise ValidationFailed(
            _("Besaran TUP harus lebih dari nol."), details={"field": "amount_idr"}
        )
    if not reason.strip():
        raise ValidationFailed(
            _("Kebutuhan mendesak yang mendasari TUP wajib diisi."), details={"field": "reason"}
        )
    try:
        with transaction.atomic():
            tup = UpAllocation.objects.create(
                satker=satker,
                kind=UpKind.TUP,
                fiscal_year=sp2d_date.year,
                funding_source=funding_source,
                sp2d_number=sp2d_number.strip(),
                sp2d_date=sp2d_date,
                annual_budget_idr=0,
                amount_idr=amount_idr,
                tunai_idr=amount_idr,
                kkp_idr=0,
                reason=reason.strip(),
                due_date=due_date,
                recorded_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(_("Nomor SP2D ini sudah dicatat."), code="sp2d_exists") from exc
    book = chart.satker_book(satker)
    kppn = chart.kppn_book(satker.parent, satker)  # type: ignore[arg-type]
    entry = ledger.post(
        key=f"tup:{tup.pk}",
        tenant_id=satker.pk,
        reason_code="TUP_ADVANCE",
        legs=[
            Leg(kppn.receivable.pk, amount_idr),
            Leg(kppn.disbursed.pk, -amount_idr),
            Leg(book.up_tunai.pk, amount_idr),
            Leg(book.fund_tup.pk, -amount_idr),
        ],
        source_type="treasury.upallocation",
        source_id=str(tup.pk),
        memo=f"SP2D-TUP {tup.sp2d_number}",
    )
    tup.ledger_entry_id = entry.pk
    tup.save(update_fields=["ledger_entry_id"])
    audit(
        actor, "tup.recorded", tup, after={"amount_idr": amount_idr, "due_date": str(tup.due_date)}
    )
    return tup


@transaction.atomic
def mark_tup_accounted(tup: UpAllocation, *, sp2d_number: str, by: User | None) -> UpAllocation:
    """An approved SPM-PTUP accounts for the TUP (replenishment calls this once, under the
    SPM's lock). No money moves: the PTUP's SP2D is "nihil"; the TUP's spending is already
    in the ledger as expense."""
    tup = UpAllocation.objects.select_for_update().get(pk=tup.pk, kind=UpKind.TUP)
    if tup.accounted_at is not None:
        return tup
    tup.accounted_sp2d_number = sp2d_number
    tup.accounted_at = clock.now()
    tup.save(update_fields=["accounted_sp2d_number", "accounted_at"])
    audit(by, "tup.accounted", tup, after={"ptup_sp2d_number": sp2d_number})
    return tup


@transaction.atomic
def note_tup_overdue(tup: UpAllocation, *, on: date) -> bool:
    """Record that the TUP's lateness was told on ``on``; False if it already was for its
    current due date (so the daily job tells once per due date)."""
    tup = UpAllocation.objects.select_for_update().get(pk=tup.pk, kind=UpKind.TUP)
    if tup.accounted_at is not None or tup.due_date is None or tup.due_date >= on:
        return False
    if tup.overdue_notified_on is not None and tup.overdue_notified_on > tup.due_date:
        return False
    tup.overdue_notified_on = on
    tup.save(update_fields=["overdue_notified_on"])
    audit(None, "tup.overdue", tup, after={"due_date": str(tup.due_date)})
    return True


@transaction.atomic
def extend_tup(actor: User, tup: UpAllocation, *, reason: str) -> UpAllocation:
    tup = UpAllocation.objects.select_for_update().get(pk=tup.pk, kind=UpKind.TUP)
    require(actor, "up.record", tup)
    if tup.extensions >= rules.MAX_TUP_EXTENSIONS:
        raise ValidationFailed(
            _("TUP hanya dapat diperpanjang paling banyak dua kali."), code="tup_extension_limit"
        )
    if not reason.strip():
        raise ValidationFailed(_("Alasan perpanjangan wajib diisi."), details={"field": "reason"})
    before = {"due_date": str(tup.due_date)}
    tup.extensions += 1
    tup.due_date = rules.tup_due_date(tup.sp2d_date, tup.extensions)
    tup.save(update_fields=["extensions", "due_date"])
    audit(
        actor,
        "tup.extended",
        tup,
        before=before,
        after={"due_date": str(tup.due_date), "reason": reason.strip()},
    )
    return tup


@transaction.atomic
def return_up(
    actor: User,
    *,
    satker: Organisation,
    fiscal_year: int,
    deposit_reference: str,
    returned_on: date,
) -> UpReturn:
    """Year-end: the rest of UP Tunai and UP KKP goes back to the state (no open holds)."""
    satker = _lock_satker(satker)
    require(actor, "up.record", satker)
    if not deposit_reference.strip():
        raise ValidationFailed(
            _("NTPN setoran pengembalian UP wajib diisi."), details={"field": "deposit_reference"}
        )
    if UpReturn.objects.filter(satker=satker, fiscal_year=fiscal_year).exists():
        raise Conflict(_("Pengembalian UP tahun ini sudah dicatat."), code="return_exists")
    if ledger_queries.pending_holds(satker.pk).exists():
        raise Conflict(
            _("Masih ada pesanan yang mencadangkan UP; selesaikan atau batalkan dulu."),
            code="holds_open",
        )
    book = chart.satker_book(satker)
    kppn = chart.kppn_book(satker.parent, satker)  # type: ignore[arg-type]
    tunai = ledger_queries.balance_of(book.up_tunai).available
    kkp = ledger_queries.balance_of(book.up_kkp).available
    if tunai + kkp <= 0:
        raise ValidationFailed(_("Tidak ada sisa UP untuk dikembalikan."))
    fund_tup = ledger_queries.balance_of(book.fund_tup).posted
    from_tup = min(fund_tup, tunai)
    legs = [Leg(kppn.disbursed.pk, tunai + kkp), Leg(kppn.receivable.pk, -(tunai + kkp))]
    if tunai:
        legs.append(Leg(book.up_tunai.pk, -tunai))
        if tunai - from_tup:
            legs.append(Leg(book.fund_tunai.pk, tunai - from_tup))
        if from_tup:
            legs.append(Leg(book.fund_tup.pk, from_tup))
    if kkp:
        legs += [Leg(book.up_kkp.pk, -kkp), Leg(book.fund_kkp.pk, kkp)]
    entry = ledger.post(
        key=f"up-return:{satker.pk}:{fiscal_year}",
        tenant_id=satker.pk,
        reason_code="UP_RETURN",
        legs=legs,
        source_type="treasury.upreturn",
        source_id=f"{satker.pk}:{fiscal_year}",
        memo=f"Setoran sisa UP {deposit_reference}",
    )
    returned = UpReturn.objects.create(
        satker=satker,
        fiscal_year=fiscal_year,
        tunai_idr=tunai,
        kkp_idr=kkp,
        deposit_reference=deposit_reference.strip(),
        returned_on=returned_on,
        ledger_entry_id=entry.pk,
        recorded_by=actor,
    )
    audit(
        actor,
        "up.returned",
        returned,
        after={"tunai_idr": tunai, "kkp_idr": kkp, "deposit_reference": returned.deposit_reference},
    )
    return returned


# --- KKP cards -----------------------------------------------------------------------------


def _card_entry_seq(card: KkpCard) -> int:
    return ledger_queries.entries_for_source("treasury.kkpcard", str(card.pk)).count()


@transaction.atomic
def issue_kkp_card(
    actor: User,
    *,
    satker: Organisation,
    cardholder: User,
    bank: Organisation,
    bank_card_ref: str,
    last4: str,
    card_limit_idr: int,
    issued_on: date,
) -> KkpCard:
    satker = _lock_satker(satker)
    require(actor, "card.manage", satker)
    if cardholder.organisation_id != satker.pk or not cardholder.is_active:
        raise ValidationFailed(
            _("Pemegang kartu harus pegawai aktif satker ini."), details={"field": "cardholder"}
        )
    if cardholder.role not in (
        Role.PPK,
        Role.PEJABAT_PENGADAAN,
        Role.BENDAHARA,
        Role.KPA,
        Role.PEMESAN,
    ):
        raise ValidationFailed(
            _("Peran pemegang kartu tidak sesuai."), details={"field": "cardholder"}
        )
    if bank.kind != OrgKind.BANK:
        raise ValidationFailed(_("Penerbit kartu harus bank."), details={"field": "bank"})
    problem = rules.card_data_error(bank_card_ref=bank_card_ref, last4=last4)
    if problem:
        raise ValidationFailed(problem, code="card_data", details={"field": "bank_card_ref"})
    problem = rules.card_limit_error(
        card_limit=card_limit_idr, satker_kkp=queries.kkp_allocated(satker)
    )
    if problem:
        raise ValidationFailed(problem, details={"field": "card_limit_idr"})
    try:
        with transaction.atomic():
            card = KkpCard.objects.create(
                satker=satker,
                cardholder=cardholder,
                bank=bank,
                bank_card_ref=bank_card_ref.strip(),
                last4=last4,
                card_limit_idr=card_limit_idr,
                issued_on=issued_on,
                created_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("Kartu dengan referensi ini sudah terdaftar."), code="card_exists"
        ) from exc
    line = chart.card_line(satker, card.pk, card.last4)
    book = chart.satker_book(satker)
    ledger.post(
        key=f"card:{card.pk}:0",
        tenant_id=satker.pk,
        reason_code="CARD_LIMIT_SET",
        legs=[Leg(line.pk, card_limit_idr), Leg(book.card_limits.pk, -card_limit_idr)],
        source_type="treasury.kkpcard",
        source_id=str(card.pk),
        memo=f"Limit kartu •••• {card.last4}",
    )
    audit(
        actor,
        "card.issued",
        card,
        after={
            "last4": card.last4,
            "bank_id": bank.pk,
            "cardholder_id": cardholder.pk,
            "card_limit_idr": card_limit_idr,
        },
    )
    return card


@transaction.atomic
def change_card_limit(actor: User, card: KkpCard, *, card_limit_idr: int) -> KkpCard:
    card = KkpCard.objects.select_for_update().select_related("satker").get(pk=card.pk)
    require(actor, "card.manage", card)
    if card.status == CardStatus.CLOSED:
        raise ValidationFailed(_("Kartu sudah ditutup."))
    problem = rules.card_limit_error(
        card_limit=card_limit_idr, satker_kkp=queries.kkp_allocated(card.satker)
    )
    if problem:
        raise ValidationFailed(problem, details={"field": "card_limit_idr"})
    delta = card_limit_idr - card.card_limit_idr
    if delta == 0:
        return card
    line = chart.card_line(card.satker, card.pk, card.last4)
    book = chart.satker_book(card.satker)
    # Lowering below what the card has already used is refused by the guarded line account.
    ledger.post(
        key=f"card:{card.pk}:{_card_entry_seq(card)}",
        tenant_id=card.satker_id,
        reason_code="CARD_LIMIT_CHANGED",
        legs=[Leg(line.pk, delta), Leg(book.card_limits.pk, -delta)],
        source_type="treasury.kkpcard",
        source_id=str(card.pk),
    )
    before = {"card_limit_idr": card.card_limit_idr}
    card.card_limit_idr = card_limit_idr
    card.save(update_fields=["card_limit_idr"])
    audit(
        actor, "card.limit_changed", card, before=before, after={"card_limit_idr": card_limit_idr}
    )
    return card


@transaction.atomic
def set_card_status(actor: User, card: KkpCard, *, status: str, reason: str) -> KkpCard:
    """Block, unblock or close a card. Closing returns its unused line to the limits memo."""
    card = KkpCard.objects.select_for_update().select_related("satker").get(pk=card.pk)
    require(actor, "card.manage", card)
    if status not in CardStatus.values:
        raise ValidationFailed(_("Status kartu tidak dikenal."))
    if card.status == CardStatus.CLOSED:
        raise ValidationFailed(_("Kartu yang sudah ditutup tidak dapat diubah."))
    if not reason.strip():
        raise ValidationFailed(_("Alasan wajib diisi."), details={"field": "reason"})
    if status == card.status:
        return card
    if status == CardStatus.CLOSED:
        line = chart.card_line(card.satker, card.pk, card.last4)
        unused = ledger_queries.balance_of(line).available
        if ledger_queries.balance_of(line).held:
            raise Conflict(_("Kartu masih memiliki transaksi yang dicadangkan."), code="holds_open")
        if unused:
            book = chart.satker_book(card.satker)
            ledger.post(
                key=f"card:{card.pk}:{_card_entry_seq(card)}",
                tenant_id=card.satker_id,
                reason_code="CARD_CLOSED",
                legs=[Leg(line.pk, -unused), Leg(book.card_limits.pk, unused)],
                source_type="treasury.kkpcard",
                source_id=str(card.pk),
            )
    before = {"status": card.status}
    card.status = status
    card.save(update_fields=["status"])
    audit(
        actor,
        "card.status_changed",
        card,
        before=before,
        after={"status": status, "reason": reason.strip()},
    )
    return card
