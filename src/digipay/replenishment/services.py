"""Replenishment use cases (decision: docs/adr/0023-replenishment-through-span.md).

The cycle: the Bendahara drafts an SPM (``draft_gup``, ``draft_gup_kkp``, ``request_tup``,
``draft_ptup``) in one transaction — lock, gate, rules, the listed invoices claimed by
``SpmLine`` rows (the database keeps an invoice in one live SPM). The PPSPM signs it with a
TOTP code (``sign_spm``), which records the signature in one transaction and then, **outside
any transaction**, sends it to SPAN. The KPPN user approves or rejects it (``approve_spm`` /
``reject_spm``): the decision is made in SPAN first, over the network, then recorded.

Money moves only when SPAN reports the SP2D's credit to the treasurer's account CREDITED
(``_apply``, from the approval's answer, ``sync_spm`` or the worker's ``poll_span``): under the
SPM's row lock, once (``ledger_entry_id``; the ledger key ``spm:<id>:sp2d`` makes a replay a
no-op). Unknown outcomes are never settled by a blind resend: the SPAN client asks
(``find_spm`` / ``get_spm``), and a submission whose outcome stayed unknown is looked up by
its number before it is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from digipay.accounts.auth import check_second_factor
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind, Role
from digipay.accounts.services import audit
from digipay.cardbills.models import CardBillLine
from digipay.core import clock
from digipay.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from digipay.core.money import format_idr
from digipay.integrations.span import client as span
from digipay.integrations.span.errors import (
    SpanError,
    SpanOutcomeUnknown,
    SpanRejected,
    SpanUnavailable,
)
from digipay.invoicing.models import Invoice
from digipay.ledger import services as ledger
from digipay.ledger.rules import Leg
from digipay.notifications.services import notify
from digipay.payments.models import PaymentInvoice, TreasurerAccount
from digipay.policy import queries as policy
from digipay.policy.rules import PolicyKey
from digipay.replenishment import queries, rules
from digipay.replenishment.models import SanctionNotice, Spm, SpmCardBill, SpmLine
from digipay.replenishment.rules import CreditState, SanctionLevel, SpmKind, SpmState
from digipay.treasury import chart
from digipay.treasury import services as treasury
from digipay.treasury.models import UpAllocation, UpKind

log = logging.getLogger(__name__)


class SpanBusy(DomainError):
    """SPAN could not be reached or its answer is not known yet: nothing is lost, Digipay asks
    again (the worker) — the user sees the SPM waiting."""

    status = 503
    default_code = "span_unavailable"


# --- checks other apps add before an SPM that asks for money --------------------------------------

SpmCheck = Callable[[Organisation], str | None]
# The registered checks (apps above this one add theirs in ``ready()``: the books app refuses
# the next SP2D while an LPJ is late, DOMAIN.md §5). A module-level list tests may patch.
SPM_CHECKS: list[SpmCheck] = []


def on_spm_check(check: SpmCheck) -> None:
    """Register a check run before ``draft_gup``, ``draft_gup_kkp`` and ``request_tup``: it
    returns a message (Indonesian, for the Bendahara) to refuse the SPM, else ``None``."""
    if check not in SPM_CHECKS:
        SPM_CHECKS.append(check)


def _refuse_if_blocked(satker: Organisation) -> None:
    for check in list(SPM_CHECKS):
        message = check(satker)
        if message:
            raise Conflict(message, code="spm_blocked")


def refund_check(invoice: Invoice) -> str | None:
    """Registered with ``payments.refunds.on_refund_check``: an invoice in a live SPM gets no
    refund in Digipay (UP was or will be restored for all of it; money the vendor returns
    after the GUP goes to the Kas Negara by SSPB, outside Digipay).

    It takes the satker's row lock first, as the drafts do (``_satker_of``): a draft and a
    refund of the same invoice are serialised — the refund sees the committed SPM, or the
    draft sees the committed refund (and leaves the invoice waiting). The refund holds the
    invoice's lock, then the satker's, as ``request_refund`` itself does: no inverted order."""
    Organisation.objects.select_for_update(of=("self",)).filter(pk=invoice.satker_id).first()
    spm = queries.spm_listing(int(invoice.pk))
    if spm is None:
        return None
    return str(
        _(
            "Tagihan sudah diajukan dalam SPM %(number)s; pengembalian setelah penggantian UP "
            "disetor ke Kas Negara (SSPB) di luar Digipay."
        )
        % {"number": spm.number}
    )


# --- drafting ------------------------------------------------------------------------------------


def _satker_of(actor: User) -> Organisation:
    satker = (
        Organisation.objects.select_for_update(of=("self",))
        .select_related("parent")
        .filter(pk=actor.organisation_id)
        .first()
    )
    if satker is None or satker.kind != OrgKind.SATKER:
        raise ValidationFailed(_("Organisasi Anda bukan satker."))
    if satker.parent is None or satker.parent.kind != OrgKind.KPPN:
        raise ValidationFailed(_("Satker belum terdaftar pada KPPN pembayar."))
    return satker


def satker_for_reading(actor: User) -> Organisation:
    """The actor's own satker (readiness is a satker user's view)."""
    require(actor, "spm.view")
    satker = Organisation.objects.filter(pk=actor.organisation_id).first()
    if satker is None or satker.kind != OrgKind.SATKER:
        raise NotFound(_("Kesiapan GUP hanya tersedia bagi pengguna satker."))
    return satker


def _treasurer(satker: Organisation) -> TreasurerAccount:
    account = TreasurerAccount.objects.filter(satker=satker).first()
    if account is None:
        raise Conflict(
            _("Rekening Bendahara Pengeluaran satker belum terdaftar."), code="no_treasurer_account"
        )
    return account


def _next_number(satker: Organisation, kind: str, year: int) -> str:
    # Under the satker's row lock: two drafts cannot take the same number.
    suffix = rules.spm_number(kind, 0, satker.code, year)[5:]
    count = Spm.objects.filter(satker=satker, number__endswith=suffix).count()
    return rules.spm_number(kind, count + 1, satker.code, year)


def _new_spm(
    actor: User,
    satker: Organisation,
    kind: str,
    amount: int,
    *,
    tax_total: int = 0,
    **extra: object,
) -> Spm:
    account = _treasurer(satker)
    today = clock.today_jakarta()
    kppn = satker.parent
    assert kppn is not None  # _satker_of checked it
    return Spm.objects.create(
        satker=satker,
        kppn=kppn,
        kind=kind,
        number=_next_number(satker, kind, today.year),
        fiscal_year=today.year,
        spm_date=today,
        amount_idr=amount,
        tax_total_idr=tax_total,
        bank_code=account.bank_code,
        account_no=account.account_no,
        account_name=(account.holder_name or f"BPG {satker.code}")[:100],
        drafted_by=actor,
        drafted_at=clock.now(),
        **extra,
    )


def _pick(satker: Organisation, ids: Sequence[int] | None) -> list[PaymentInvoice]:
    free = queries.listable_invoices(satker)
    if ids is None:
        return list(free)
    wanted = [int(i) for i in ids]
    if len(set(wanted)) != len(wanted):
        raise ValidationFailed(
            _("Tagihan yang sama dipilih lebih dari sekali."), details={"field": "invoices"}
        )
    picked = list(free.filter(pk__in=wanted))
    if len(picked) != len(wanted):
        raise Conflict(
            _("Sebagian tagihan belum dibayar dari UP Tunai atau sudah tercantum di SPM lain."),
            code="invoice_not_listable",
        )
    return picked


def _add_lines(spm: Spm, paid: list[PaymentInvoice]) -> tuple[int, int]:
    """The SPM's lines from paid invoices, with SPAN's checks made first; (gross, taxes)."""
    listed = []
    for line in paid:
        # Refunds received already restored UP Tunai: the SPM pays back the rest (gross and
        # net less the refunds; the taxes withheld stay as they were).
        refunded = queries.refunded_of(line)
        if int(line.net_idr) < refunded:
            raise Conflict(
                _(
                    "Pengembalian dana tagihan %(number)s melebihi nilai bersihnya; pajaknya "
                    "harus dikoreksi dan penggantiannya diajukan di luar Digipay."
                )
                % {"number": line.invoice.number},
                code="refund_exceeds_net",
            )
        taxes = rules.tax_codes({str(k): int(v) for k, v in dict(line.taxes).items()})
        listed.append(
            rules.ListedInvoice(
                line.invoice.number,
                int(line.gross_idr) - refunded,
                int(line.net_idr) - refunded,
                taxes,
            )
        )
    if problem := rules.listing_error(listed):
        log.error("SPM %s cannot list its invoices: %s", spm.number, problem)
        raise Conflict(
            _("Rincian tagihan tidak konsisten; SPM tidak dapat dibuat."), code="listing_invalid"
        )
    try:
        with transaction.atomic():
            for line, item in zip(paid, listed, strict=True):
                invoice = line.invoice
                SpmLine.objects.create(
                    spm=spm,
                    payment_invoice=line,
                    number=item.number,
                    vendor_name=invoice.vendor.organisation.name[:100],
                    npwp=rules.npwp16(invoice.vendor_npwp),
                    akun=invoice.order.akun,
                    gross_idr=item.gross,
                    net_idr=item.net,
                    taxes=dict(item.taxes),
                )
    except IntegrityError as exc:  # another draft claimed one of them meanwhile
        raise Conflict(
            _("Sebagian tagihan baru saja dicantumkan di SPM lain."), code="invoice_claimed"
        ) from exc
    gross = sum(i.gross for i in listed)
    tax_total = sum(sum(i.taxes.values()) for i in listed)
    return gross, tax_total


@transaction.atomic
def draft_gup(actor: User, *, payment_invoice_ids: Sequence[int] | None = None) -> Spm:
    """The Bendahara drafts an SPM-GUP listing paid invoices (default: every one no live SPM
    lists). Allowed once what it lists reaches the policy's threshold (50%) of the UP Tunai
    given this year."""
    satker = _satker_of(actor)
    require(actor, "spm.draft", satker)
    _refuse_if_blocked(satker)
    paid = _pick(satker, payment_invoice_ids)
    if not paid:
        raise Conflict(
            _("Belum ada tagihan yang dibayar dari UP Tunai untuk diajukan GUP."),
            code="nothing_to_replenish",
        )
    today = clock.today_jakarta()
    given = queries.up_tunai_given(satker, today.year)
    threshold = policy.value_in_force(PolicyKey.GUP_THRESHOLD, today)
    spent = sum(queries.replenishable_gross(p) for p in paid)
    if not rules.gup_ready(spent=spent, up_tunai=given, threshold=threshold):
        raise Conflict(
            _(
                "GUP Tunai baru dapat diajukan setelah UP Tunai terpakai paling sedikit "
                "%(need)s (%(pct)s dari %(given)s); yang dicantumkan baru %(spent)s."
            )
            % {
                "need": format_idr(rules.threshold_amount(given, threshold)),
                "pct": f"{threshold.numerator * 100 / threshold.denominator:g}%",
                "given": format_idr(given),
                "spent": format_idr(spent),
            },
            code="gup_threshold",
        )
    spm = _new_spm(actor, satker, SpmKind.GUP, spent)
    gross, taxes = _add_lines(spm, paid)
    Spm.objects.filter(pk=spm.pk).update(amount_idr=gross, tax_total_idr=taxes)
    spm.refresh_from_db()
    audit(actor, "spm.drafted", spm, after={**spm.audit_state(), "invoices": len(paid)})
    _tell_ppspm(spm)
    return spm


@transaction.atomic
def draft_gup_kkp(actor: User, *, card_bill_ids: Sequence[int] | None = None) -> Spm:
    """The Bendahara drafts an SPM-GUP KKP for KKP bills she paid from UP Tunai (default:
    every paid bill no live SPM lists). No threshold. On its SP2D credit UP Tunai gets the
    money back and the card line of UP KKP is restored (chart: Dr UP_TUNAI / Cr GUP_DISBURSED;
    Dr UP_KKP / Cr KKP_BILL_PAID)."""
    satker = _satker_of(actor)
    require(actor, "spm.draft", satker)
    _refuse_if_blocked(satker)
    free = queries.listable_card_bills(satker)
    if card_bill_ids is None:
        bills = list(free)
    else:
        wanted = {int(i) for i in card_bill_ids}
        bills = list(free.filter(pk__in=wanted))
        if len(bills) != len(wanted) or len(wanted) != len(card_bill_ids):
            raise Conflict(
                _("Sebagian tagihan KKP belum lunas atau sudah tercantum di SPM lain."),
                code="card_bill_not_listable",
            )
    if not bills:
        raise Conflict(
            _("Belum ada tagihan KKP lunas yang dapat diajukan GUP KKP."),
            code="nothing_to_replenish",
        )
    # SPAN lists the invoices behind the bill: the card payments the bank billed. Their nets
    # are what the card was charged, so they must add up to the bills' totals; their gross
    # (with any tax withheld on a card payment) less the refunds received (which restored UP
    # Tunai already) is the SP2D's amount.
    charged = CardBillLine.objects.filter(
        bill__in=bills, on_bill=True, instruction__isnull=False
    ).values_list("instruction_id", flat=True)
    paid = list(
        queries.with_refunds(
            PaymentInvoice.objects.filter(
                instruction_id__in=list(charged), active=True, posted_entry_id__isnull=False
            )
        )
        .select_related("payment", "invoice", "invoice__order", "invoice__vendor__organisation")
        .order_by("id")
    )
    if waiting := [p.invoice.number for p in paid if p.refund_expected]:  # type: ignore[attr-defined]
        raise Conflict(
            _(
                "Pengembalian dana atas tagihan %(numbers)s masih ditunggu dari vendor; GUP KKP "
                "dapat diajukan setelah pengembalian diterima."
            )
            % {"numbers": ", ".join(waiting)},
            code="refund_expected",
        )
    total = sum(int(b.total_idr) for b in bills)
    if not paid or sum(int(p.net_idr) for p in paid) != total:
        raise Conflict(
            _(
                "Tagihan KKP memuat transaksi yang bukan pembayaran Digipay; GUP KKP-nya "
                "diajukan di luar Digipay."
            ),
            code="card_bill_not_digipay",
        )
    spm = _new_spm(actor, satker, SpmKind.GUP_KKP, total)
    try:
        with transaction.atomic():
            for bill in bills:
                SpmCardBill.objects.create(spm=spm, card_bill=bill, total_idr=bill.total_idr)
    except IntegrityError as exc:
        raise Conflict(
            _("Sebagian tagihan KKP baru saja dicantumkan di SPM lain."), code="card_bill_claimed"
        ) from exc
    gross, taxes = _add_lines(spm, paid)
    Spm.objects.filter(pk=spm.pk).update(amount_idr=gross, tax_total_idr=taxes)
    spm.refresh_from_db()
    audit(actor, "spm.drafted", spm, after={**spm.audit_state(), "card_bills": len(bills)})
    _tell_ppspm(spm)
    return spm


@transaction.atomic
def request_tup(actor: User, *, amount_idr: int, reason: str) -> Spm:
    """The Bendahara asks for TUP (extra UP Tunai) for an urgent need; the PPSPM signs, the
    KPPN decides. One TUP at a time: a satker with a TUP not yet accounted for asks no other."""
    satker = _satker_of(actor)
    require(actor, "tup.request", satker)
    _refuse_if_blocked(satker)
    if not isinstance(amount_idr, int) or isinstance(amount_idr, bool) or amount_idr <= 0:
        raise ValidationFailed(
            _("Besaran TUP harus lebih dari nol."), details={"field": "amount_idr"}
        )
    if amount_idr > 999_999_999_999_999:
        raise ValidationFailed(_("Besaran TUP terlalu besar."), details={"field": "amount_idr"})
    if len(reason.strip()) < 10:
        raise ValidationFailed(
            _("Jelaskan kebutuhan mendesak yang mendasari TUP (paling sedikit 10 karakter)."),
            details={"field": "reason"},
        )
    if (
        queries.open_tups(satker).exists()
        or Spm.objects.filter(
            satker=satker,
            kind=SpmKind.TUP,
            state__in=(SpmState.DRAFT, SpmState.SIGNED, SpmState.SUBMITTED),
        ).exists()
    ):
        raise Conflict(
            _("Masih ada TUP yang belum dipertanggungjawabkan atau sedang diajukan."),
            code="tup_open",
        )
    spm = _new_spm(actor, satker, SpmKind.TUP, amount_idr, reason=reason.strip())
    audit(actor, "spm.drafted", spm, after={**spm.audit_state(), "reason": spm.reason})
    _tell_ppspm(spm)
    return spm


@transaction.atomic
def draft_ptup(
    actor: User, *, tup: UpAllocation, payment_invoice_ids: Sequence[int] | None = None
) -> Spm:
    """The Bendahara accounts for a TUP: an SPM-PTUP listing invoices paid from UP Tunai
    between the TUP's SP2D and its due date (default: all such invoices no live SPM lists,
    oldest first, as long as they fit in the TUP)."""
    satker = _satker_of(actor)
    require(actor, "spm.draft", satker)
    tup = UpAllocation.objects.select_for_update().filter(pk=tup.pk, kind=UpKind.TUP).first()  # type: ignore[assignment]
    if tup is None or tup.satker_id != satker.pk:
        raise NotFound(_("TUP tidak ditemukan."))
    if tup.accounted_at is not None:
        raise Conflict(_("TUP ini sudah dipertanggungjawabkan."), code="tup_accounted")
    if not Spm.objects.filter(tup=tup, kind=SpmKind.TUP, state=SpmState.APPROVED).exists():
        raise Conflict(
            _("TUP ini tidak diterbitkan melalui SPAN; PTUP tidak dapat diajukan."),
            code="tup_not_from_span",
        )
    if Spm.objects.filter(tup=tup, kind=SpmKind.PTUP, state__in=rules.LIVE_STATES).exists():
        raise Conflict(_("PTUP untuk TUP ini sudah diajukan."), code="ptup_exists")
    assert tup.due_date is not None
    window = [
        p
        for p in _pick(satker, payment_invoice_ids)
        if p.payment.finished_at is not None
        and tup.sp2d_date <= p.payment.finished_at.astimezone(clock.JAKARTA).date() <= tup.due_date
    ]
    if payment_invoice_ids is not None and len(window) != len(payment_invoice_ids):
        raise Conflict(
            _("Sebagian tagihan tidak dibayar dalam masa TUP."), code="invoice_outside_tup"
        )
    paid, total = [], 0
    for p in window:
        if total + queries.replenishable_gross(p) > tup.amount_idr:
            if payment_invoice_ids is not None:
                raise Conflict(
                    _("Tagihan yang dicantumkan melebihi TUP %(amount)s.")
                    % {"amount": format_idr(tup.amount_idr)},
                    code="ptup_exceeds_tup",
                )
            continue
        paid.append(p)
        total += queries.replenishable_gross(p)
    if not paid:
        raise Conflict(
            _("Belum ada tagihan yang dibayar dalam masa TUP."), code="nothing_to_account"
        )
    spm = _new_spm(actor, satker, SpmKind.PTUP, total, tup=tup)
    gross, taxes = _add_lines(spm, paid)
    Spm.objects.filter(pk=spm.pk).update(amount_idr=gross, tax_total_idr=taxes)
    spm.refresh_from_db()
    audit(actor, "spm.drafted", spm, after={**spm.audit_state(), "tup": tup.sp2d_number})
    _tell_ppspm(spm)
    return spm


def _tell_ppspm(spm: Spm) -> None:
    signers = User.objects.filter(organisation_id=spm.satker_id, role=Role.PPSPM, is_active=True)
    notify(
        signers,
        title=_("SPM menunggu tanda tangan"),
        body=_("%(kind)s %(number)s sebesar %(amount)s menunggu tanda tangan PPSPM.")
        % {
            "kind": SpmKind(spm.kind).label,
            "number": spm.number,
            "amount": format_idr(spm.amount_idr),
        },
        link=f"/penggantian-up/spm/{spm.pk}/",
    )


def _lock(spm: Spm | int) -> Spm:
    pk = spm if isinstance(spm, int) else spm.pk
    return Spm.objects.select_for_update(of=("self",)).select_related("satker", "kppn").get(pk=pk)


def _free_lines(spm: Spm) -> None:
    SpmLine.objects.filter(spm=spm, active=True).update(active=False)
    SpmCardBill.objects.filter(spm=spm, active=True).update(active=False)


@transaction.atomic
def cancel_spm(actor: User, spm: Spm, *, reason: str) -> Spm:
    """The Bendahara drops a draft (not yet signed): its invoices are free again."""
    spm = _lock(spm)
    require(actor, "spm.draft", spm)
    if spm.state != SpmState.DRAFT:
        raise Conflict(_("Hanya draf SPM yang dapat dibatalkan."), code="invalid_state")
    if not reason.strip():
        raise ValidationFailed(_("Alasan pembatalan wajib diisi."), details={"field": "reason"})
    before = spm.audit_state()
    spm.state = SpmState.CANCELLED
    spm.cancelled_by = actor
    spm.rejection_reason = reason.strip()
    spm.save(update_fields=["state", "cancelled_by", "rejection_reason"])
    _free_lines(spm)
    audit(actor, "spm.cancelled", spm, before=before, after={"reason": spm.rejection_reason})
    return spm


# --- signing and submission to SPAN ---------------------------------------------------------------


def sign_spm(actor: User, spm: Spm, *, otp: str) -> Spm:
    """The PPSPM signs the draft after re-entering her TOTP code, which sends it to SPAN.
    The signature is recorded first (its own transaction), then the SPM is submitted outside
    any transaction. If SPAN cannot be reached or its answer is lost, the SPM stays SIGNED
    and the worker settles it (asking SPAN before sending again)."""
    # Outside the transaction: a wrong code counts against the throttle.
    check_second_factor(actor, otp)
    _record_signature(actor, spm.pk)
    return submit(spm.pk, raise_refusal=True)


@transaction.atomic
def _record_signature(actor: User, spm_id: int) -> Spm:
    spm = _lock(spm_id)
    require(actor, "spm.sign", spm)
    if spm.state != SpmState.DRAFT:
        raise Conflict(
            _("SPM ini sudah ditandatangani atau tidak lagi berlaku."), code="invalid_state"
        )
    if spm.drafted_by_id == actor.pk:
        raise Conflict(
            _("Pemisahan tugas: pembuat SPM tidak dapat menandatanganinya."),
            code="separation_of_duties",
        )
    now = clock.now()
    spm.state = SpmState.SIGNED
    spm.signed_by = actor
    spm.signed_at = now
    spm.signature_ref = f"TTE-PPSPM-{spm.satker.code}-{spm.pk:06d}-{actor.pk}"
    spm.save(update_fields=["state", "signed_by", "signed_at", "signature_ref"])
    audit(actor, "spm.signed", spm, after=spm.audit_state())
    return spm


def span_request(spm: Spm) -> span.SpmRequest:
    """The SPM as SPAN receives it, built from what is stored: the same SPM always gives the
    same request (SPAN recognises a replay by its number and data)."""
    invoices = tuple(
        span.SpmInvoice(
            number=line.number,
            vendor_name=line.vendor_name,
            npwp=line.npwp,
            akun=line.akun,
            gross_idr=int(line.gross_idr),
            net_idr=int(line.net_idr),
            taxes_idr={str(k): int(v) for k, v in dict(line.taxes).items()},
        )
        for line in SpmLine.objects.filter(spm=spm).order_by("id")
    )
    tup_sp2d = spm.tup.sp2d_number if spm.kind == SpmKind.PTUP and spm.tup else None
    return span.SpmRequest(
        kind=span.SpmKind(spm.kind),
        satker_code=spm.satker.code,
        kppn_code=spm.kppn.code,
        spm_number=spm.number,
        spm_date=spm.spm_date,
        fiscal_year=spm.fiscal_year,
        amount_idr=int(spm.amount_idr),
        beneficiary=span.BankAccount(spm.bank_code, spm.account_no, spm.account_name),
        ppspm_signature=spm.signature_ref,
        invoices=invoices,
        tup_sp2d_number=tup_sp2d,
    )


def submit(spm_id: int, *, raise_refusal: bool = False) -> Spm:
    """Send a SIGNED SPM to SPAN (no transaction is open: nothing is locked while waiting).
    After an earlier attempt whose outcome was unknown, SPAN is asked first (by number)."""
    spm = Spm.objects.select_related("satker", "kppn", "tup").get(pk=spm_id)
    if spm.state != SpmState.SIGNED:
        return spm
    Spm.objects.filter(pk=spm_id).update(submit_attempts=spm.submit_attempts + 1)
    try:
        found = None
        if spm.submit_attempts:
            found = span.find_spm(spm.satker.code, spm.number)
        remote = found or span.submit_spm(span_request(spm))
    except SpanRejected as exc:
        refused = _refused(spm_id, exc)
        if raise_refusal:
            raise Conflict(
                _("SPAN menolak SPM: %(why)s") % {"why": refused.rejection_reason},
                code="span_rejected",
                details={"span_code": exc.code, "field": exc.field},
            ) from exc
        return refused
    except (SpanUnavailable, SpanOutcomeUnknown) as exc:
        _note(spm_id, f"{type(exc).__name__}: {exc.message}")
        return Spm.objects.get(pk=spm_id)
    return _apply(spm_id, remote)


@transaction.atomic
def _refused(spm_id: int, exc: SpanRejected) -> Spm:
    spm = _lock(spm_id)
    if spm.state != SpmState.SIGNED:
        return spm
    spm.state = SpmState.REJECTED
    spm.rejection_reason = f"SPAN {exc.code}: {exc.message}"[:500]
    spm.last_error = spm.rejection_reason[:300]
    spm.save(update_fields=["state", "rejection_reason", "last_error"])
    _free_lines(spm)
    audit(None, "spm.refused_by_span", spm, after={"code": exc.code, "field": exc.field})
    _tell_satker(spm, _("SPM ditolak SPAN"), spm.rejection_reason)
    return spm


@transaction.atomic
def _note(spm_id: int, error: str) -> None:
    Spm.objects.filter(pk=spm_id).update(last_error=error[:300])


# --- the KPPN's decision --------------------------------------------------------------------------


def _user_id(actor: User) -> str:
    return f"digipay.user.{actor.pk}"


def _decidable(actor: User, spm: Spm) -> Spm:
    spm = Spm.objects.select_related("satker", "kppn").get(pk=spm.pk)
    require(actor, "spm.decide", spm)
    if spm.kppn_id != actor.organisation_id:
        raise NotFound(_("SPM tidak ditemukan."))
    if spm.state != SpmState.SUBMITTED:
        raise Conflict(_("SPM ini tidak sedang menunggu keputusan KPPN."), code="invalid_state")
    return spm


def _call_decision(spm: Spm, actor: User, reason: str | None = None) -> span.Spm:
    """Approve (no reason) or reject in SPAN, outside any transaction."""
    user_id = _user_id(actor)
    try:
        if reason is None:
            return span.approve_spm(spm.span_id, kppn_code=spm.kppn.code, user_id=user_id)
        return span.reject_spm(spm.span_id, kppn_code=spm.kppn.code, user_id=user_id, reason=reason)
    except SpanRejected as exc:
        if exc.code == "INVALID_STATE":
            # Decided meanwhile (another KPPN user, or an earlier lost answer): record what is.
            sync_spm(spm.pk)
            raise Conflict(
                _("SPM ini sudah diputuskan sebelumnya; status terbaru telah dimuat."),
                code="already_decided",
            ) from exc
        raise Conflict(
            _("SPAN menolak keputusan: %(why)s") % {"why": exc.message}, code="span_rejected"
        ) from exc
    except (SpanUnavailable, SpanOutcomeUnknown) as exc:
        _note(spm.pk, f"{type(exc).__name__}: {exc.message}")
        raise SpanBusy(
            _("SPAN belum dapat dihubungi atau belum menjawab; status SPM akan diperiksa lagi.")
        ) from exc


def approve_spm(actor: User, spm: Spm) -> Spm:
    """The KPPN user approves a submitted SPM of a satker it pays: SPAN issues the SP2D and
    credits the treasurer's account. UP is restored only when the credit is CREDITED (now,
    or later through ``poll_span``)."""
    spm = _decidable(actor, spm)
    remote = _call_decision(spm, actor)
    spm = _apply(spm.pk, remote, decided_by=actor)
    with transaction.atomic():  # the audit event is written in a transaction of its own
        audit(actor, "spm.approved", spm, after=spm.audit_state())
        _tell_satker(
            spm,
            _("SP2D terbit"),
            _("%(number)s disetujui KPPN; SP2D %(sp2d)s.")
            % {"number": spm.number, "sp2d": spm.sp2d_number},
        )
    return spm


def reject_spm(actor: User, spm: Spm, *, reason: str) -> Spm:
    """The KPPN user rejects a submitted SPM with a reason: its invoices are free for a new
    SPM (a new number)."""
    reason = (reason or "").strip()
    if not 10 <= len(reason) <= 500:
        raise ValidationFailed(
            _("Alasan penolakan wajib diisi (10–500 karakter)."), details={"field": "reason"}
        )
    spm = _decidable(actor, spm)
    remote = _call_decision(spm, actor, reason)
    spm = _apply(spm.pk, remote, decided_by=actor)
    with transaction.atomic():
        audit(actor, "spm.rejected", spm, after={"reason": reason})
    return spm


def retry_credit(actor: User, spm: Spm) -> Spm:
    """The KPPN asks SPAN to settle a PENDING or FAILED credit now (SPAN reads the bank
    statement before sending anything)."""
    spm = Spm.objects.select_related("kppn").get(pk=spm.pk)
    require(actor, "spm.decide", spm)
    if spm.state != SpmState.APPROVED or spm.credit_status not in (
        CreditState.PENDING,
        CreditState.FAILED,
    ):
        raise Conflict(_("Tidak ada kredit SP2D yang perlu diulang."), code="invalid_state")
    try:
        remote = span.retry_credit(spm.span_id)
    except SpanError as exc:
        _note(spm.pk, f"{type(exc).__name__}: {exc.message}")
        raise SpanBusy(_("SPAN belum dapat dihubungi; coba lagi nanti.")) from exc
    return _apply(spm.pk, remote)


def sync_spm(spm_id: int) -> Spm:
    """Ask SPAN how an SPM stands and record it (the worker's poll; after a lost answer)."""
    spm = Spm.objects.get(pk=spm_id)
    if not spm.span_id:
        return submit(spm_id)
    try:
        remote = span.get_spm(spm.span_id)
    except SpanError as exc:
        _note(spm_id, f"{type(exc).__name__}: {exc.message}")
        return spm
    return _apply(spm_id, remote)


# --- recording SPAN's answer: the SP2D, the credit, UP restored once ------------------------------


def _decider(remote: span.Spm) -> User | None:
    raw = remote.decided_by or ""
    prefix = "digipay.user."
    if raw.startswith(prefix) and raw[len(prefix) :].isdigit():
        return User.objects.filter(pk=int(raw[len(prefix) :])).first()
    return None


@transaction.atomic
def _apply(spm_id: int, remote: span.Spm, *, decided_by: User | None = None) -> Spm:
    """Record what SPAN says of the SPM, under its lock; post the SP2D once when credited."""
    spm = _lock(spm_id)
    if remote.satker_code != spm.satker.code or remote.spm_number != spm.number:
        raise Conflict(_("Jawaban SPAN tidak cocok dengan SPM ini."), code="span_mismatch")
    fields: set[str] = set()
    if not spm.span_id:
        spm.span_id = remote.spm_id
        fields.add("span_id")
    if spm.state == SpmState.SIGNED:
        spm.state = SpmState.SUBMITTED
        spm.submitted_at = remote.submitted_at
        spm.last_error = ""
        fields |= {"state", "submitted_at", "last_error"}
    if remote.status == span.SpmStatus.APPROVED and spm.state == SpmState.SUBMITTED:
        spm.state = SpmState.APPROVED
        spm.decided_by = decided_by or _decider(remote)
        spm.decided_at = remote.decided_at
        spm.sp2d_number = remote.sp2d_number or ""
        spm.sp2d_date = remote.sp2d_date
        spm.tup_due_date = remote.tup.due_date if remote.tup else None
        fields |= {"state", "decided_by", "decided_at", "sp2d_number", "sp2d_date"}
        fields.add("tup_due_date")
    elif remote.status == span.SpmStatus.REJECTED and spm.state == SpmState.SUBMITTED:
        spm.state = SpmState.REJECTED
        spm.decided_by = decided_by or _decider(remote)
        spm.decided_at = remote.decided_at
        spm.rejection_reason = remote.rejection_reason or ""
        fields |= {"state", "decided_by", "decided_at", "rejection_reason"}
        _free_lines(spm)
        _tell_satker(
            spm,
            _("SPM ditolak KPPN"),
            _("%(number)s ditolak: %(why)s") % {"number": spm.number, "why": spm.rejection_reason},
        )
    if spm.state == SpmState.APPROVED and remote.credit is not None:
        credit = remote.credit
        if spm.credit_status != CreditState.CREDITED:
            spm.credit_status = str(credit.status)
            spm.bank_reference = credit.bank_reference or ""
            spm.credited_at = credit.credited_at
            spm.credit_error = (credit.last_error or "")[:300]
            fields |= {"credit_status", "bank_reference", "credited_at", "credit_error"}
    if fields:
        spm.save(update_fields=sorted(fields))
    if spm.state == SpmState.APPROVED:
        if spm.credit_status == CreditState.CREDITED and spm.ledger_entry_id is None:
            _restore(spm)
        elif spm.kind == SpmKind.PTUP and spm.tup is not None and spm.tup.accounted_at is None:
            treasury.mark_tup_accounted(spm.tup, sp2d_number=spm.sp2d_number, by=spm.decided_by)
    return spm


def _restore(spm: Spm) -> None:
    """The SP2D's money, once (the caller holds the SPM's lock; the ledger key makes even a
    replay after a crash between the two writes a no-op)."""
    satker = Organisation.objects.select_related("parent").get(pk=spm.satker_id)
    amount = int(spm.amount_idr)
    memo = f"{spm.number} SP2D {spm.sp2d_number}"[:200]
    if spm.kind == SpmKind.TUP:
        assert spm.sp2d_date is not None
        assert spm.tup_due_date is not None
        recorder = spm.decided_by or spm.drafted_by
        tup = treasury.record_tup_from_sp2d(
            decided_by=recorder,
            satker=satker,
            amount_idr=amount,
            sp2d_number=spm.sp2d_number,
            sp2d_date=spm.sp2d_date,
            due_date=spm.tup_due_date,
            reason=spm.reason,
        )
        spm.tup = tup
        entry_id = tup.ledger_entry_id
    else:
        book = chart.satker_book(satker)
        kppn = chart.kppn_book(spm.kppn, satker)
        legs = [Leg(book.up_tunai.pk, amount), Leg(kppn.gup_disbursed.pk, -amount)]
        reason = "GUP_SP2D"
        if spm.kind == SpmKind.GUP_KKP:
            # UP Tunai gets the SP2D (the invoices' gross); the KKP line gets back what the
            # bills took from it (their totals: what the card was charged).
            bills = int(spm.card_bills.aggregate(total=Sum("total_idr"))["total"] or 0)
            legs += [Leg(book.up_kkp.pk, bills), Leg(chart.kkp_bill_paid(satker).pk, -bills)]
            reason = "GUP_KKP_SP2D"
        entry = ledger.post(
            key=f"spm:{spm.pk}:sp2d",
            tenant_id=int(satker.pk),
            reason_code=reason,
            legs=legs,
            source_type="replenishment.spm",
            source_id=str(spm.pk),
            memo=memo,
        )
        entry_id = entry.pk
    spm.ledger_entry_id = entry_id
    spm.restored_at = clock.now()
    spm.save(update_fields=["ledger_entry_id", "restored_at", "tup"])
    audit(
        None,
        "spm.credited",
        spm,
        after={**spm.audit_state(), "bank_reference": spm.bank_reference, "entry": entry_id},
    )
    _tell_satker(
        spm,
        _("SP2D dikreditkan"),
        _("SP2D %(sp2d)s sebesar %(amount)s masuk ke rekening Bendahara (referensi %(ref)s).")
        % {
            "sp2d": spm.sp2d_number,
            "amount": format_idr(amount),
            "ref": spm.bank_reference,
        },
    )


def _tell_satker(spm: Spm, title: str, body: str) -> None:
    people = User.objects.filter(
        organisation_id=spm.satker_id, role__in=(Role.BENDAHARA, Role.PPSPM), is_active=True
    )
    notify(people, title=title, body=body, link=f"/penggantian-up/spm/{spm.pk}/")


# --- the worker -----------------------------------------------------------------------------------


def poll_span(now: datetime | None = None) -> int:
    """The worker's job: settle every SPM waiting on SPAN — SIGNED ones are submitted (asked
    for first after an unknown outcome), SUBMITTED ones and approved ones whose credit is not
    settled are read back. Returns how many were looked at."""
    ids = list(
        Spm.objects.filter(state__in=(SpmState.SIGNED, SpmState.SUBMITTED))
        .values_list("pk", flat=True)
        .order_by("id")[:200]
    ) + list(
        Spm.objects.filter(
            state=SpmState.APPROVED,
            credit_status__in=(CreditState.NOT_YET, CreditState.PENDING, CreditState.FAILED),
        )
        .values_list("pk", flat=True)
        .order_by("id")[:200]
    )
    for spm_id in ids:
        try:
            sync_spm(spm_id)
        except Exception:  # one bad row must not stop the others; it is tried again later
            log.exception("SPM %s could not be synchronised with SPAN", spm_id)
    return len(ids)


# --- sanctions ------------------------------------------------------------------------------------


def check_sanctions(today: date | None = None) -> int:
    """The daily job: satkers without a GUP for the policy's months since their UP (or last
    GUP) get a warning, then a cut notice; the KPPN and the satker are told once per episode.
    Overdue TUPs are told too, once per due date. Returns how many were told."""
    today = today or clock.today_jakarta()
    warning = policy.idr_in_force(PolicyKey.SANCTION_WARNING_MONTHS, today)
    cut = policy.idr_in_force(PolicyKey.SANCTION_CUT_MONTHS, today)
    ratio = policy.value_in_force(PolicyKey.SANCTION_CUT_RATIO, today)
    made = 0
    for satker in queries.satkers_with_up(today.year).select_related("parent"):
        since = queries.last_replenished(satker, today.year)
        if since is None or satker.parent is None or satker.parent_id is None:
            continue
        level = rules.sanction_level(
            since=since, today=today, warning_months=warning, cut_months=cut
        )
        if level is None:
            continue
        if _notice(satker, level, since, today, warning, cut, ratio):
            made += 1
    return made + _tell_overdue_tups(today)


def _tell_overdue_tups(today: date) -> int:
    """TUPs past their due date without an approved PTUP: the KPPN and the satker are told
    once per due date (an extension gives a new one)."""
    told = 0
    overdue = UpAllocation.objects.filter(
        kind=UpKind.TUP, accounted_at__isnull=True, due_date__lt=today
    ).select_related("satker")
    for tup in overdue:
        with transaction.atomic():
            if not treasury.note_tup_overdue(tup, on=today):
                continue
            satker = tup.satker
            recipients = list(
                User.objects.filter(
                    organisation_id=int(satker.parent_id or 0),
                    role=Role.KPPN_ADMIN,
                    is_active=True,
                )
            ) + list(
                User.objects.filter(
                    organisation_id=satker.pk, role__in=(Role.BENDAHARA, Role.KPA), is_active=True
                )
            )
            notify(
                recipients,
                title=_("TUP melewati batas pertanggungjawaban"),
                body=_(
                    "TUP satker %(code)s (SP2D %(sp2d)s, %(amount)s) belum dipertanggungjawabkan "
                    "sampai %(due)s."
                )
                % {
                    "code": satker.code,
                    "sp2d": tup.sp2d_number,
                    "amount": format_idr(tup.amount_idr),
                    "due": tup.due_date.strftime("%d/%m/%Y") if tup.due_date else "-",
                },
                link="/kppn/sanksi/",
            )
            told += 1
    return told


def daily_sanctions(now: datetime | None = None) -> int:
    """``check_sanctions`` for the worker, which passes the slot's time."""
    return check_sanctions((now or clock.now()).astimezone(clock.JAKARTA).date())


@transaction.atomic
def _notice(
    satker: Organisation,
    level: str,
    since: date,
    today: date,
    warning: int,
    cut: int,
    ratio: Fraction,
) -> bool:
    if SanctionNotice.objects.filter(satker=satker, level=level, since=since).exists():
        return False
    kppn_id = int(satker.parent_id or 0)
    up = int(
        UpAllocation.objects.filter(
            satker=satker, kind=UpKind.UP, fiscal_year=today.year
        ).aggregate(total=Sum("amount_idr"))["total"]
        or 0
    )
    try:
        with transaction.atomic():
            notice = SanctionNotice.objects.create(
                satker=satker,
                kppn_id=kppn_id,
                level=level,
                since=since,
                months=cut if level == SanctionLevel.CUT else warning,
                up_amount_idr=up,
                cut_amount_idr=rules.cut_amount(up, ratio) if level == SanctionLevel.CUT else 0,
                detected_on=today,
            )
    except IntegrityError:  # another worker made it
        return False
    audit(None, "sanction.detected", notice, after={"level": level, "since": str(since)})
    if level == SanctionLevel.CUT:
        title = _("UP dipotong: tidak ada GUP")
        body = _(
            "Satker %(code)s tidak mengajukan GUP sejak %(since)s (%(months)s bulan): UP "
            "dipotong %(cut)s sesuai ketentuan."
        ) % {
            "code": satker.code,
            "since": since.strftime("%d/%m/%Y"),
            "months": notice.months,
            "cut": format_idr(notice.cut_amount_idr),
        }
    else:
        title = _("Peringatan: belum ada GUP")
        body = _(
            "Satker %(code)s belum mengajukan GUP sejak %(since)s (%(months)s bulan). "
            "Tanpa GUP satu bulan lagi, UP akan dipotong."
        ) % {"code": satker.code, "since": since.strftime("%d/%m/%Y"), "months": notice.months}
    recipients = list(
        User.objects.filter(organisation_id=kppn_id, role=Role.KPPN_ADMIN, is_active=True)
    ) + list(
        User.objects.filter(
            organisation_id=satker.pk, role__in=(Role.BENDAHARA, Role.KPA), is_active=True
        )
    )
    notify(recipients, title=title, body=body, link="/kppn/sanksi/")
    return True


@transaction.atomic
def decide_cut(actor: User, notice: SanctionNotice, *, note: str) -> SanctionNotice:
    """The KPPN records its decision on a cut notice (executed by the KPPN outside Digipay:
    the satker's next SP2D-UP is smaller; see ADR 0023)."""
    notice = SanctionNotice.objects.select_for_update().get(pk=notice.pk)
    require(actor, "spm.decide", notice)
    if notice.kppn_id != actor.organisation_id:
        raise NotFound(_("Data tidak ditemukan."))
    if notice.level != SanctionLevel.CUT:
        raise Conflict(_("Peringatan tidak memerlukan keputusan."), code="not_a_cut")
    if notice.decided_at is not None:
        raise Conflict(_("Keputusan pemotongan sudah dicatat."), code="already_decided")
    if len(note.strip()) < 10:
        raise ValidationFailed(
            _("Catatan keputusan wajib diisi (paling sedikit 10 karakter)."),
            details={"field": "note"},
        )
    notice.decided_by = actor
    notice.decided_at = clock.now()
    notice.decision_note = note.strip()
    notice.save(update_fields=["decided_by", "decided_at", "decision_note"])
    audit(
        actor,
        "sanction.cut_decided",
        notice,
        after={"cut_amount_idr": notice.cut_amount_idr, "note": notice.decision_note},
    )
    return notice
