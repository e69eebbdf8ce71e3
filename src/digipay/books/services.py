"""Books use cases (decision: docs/adr/0024-books-lpj-reconciliation.md).

``reconcile_day``: one satker's treasurer account, one Jakarta day, three ways — the ledger's
UP_TUNAI lines, Digipay's payment records (``Movement`` rows from payments, replenishment and
treasury) and the bank's statement. The statement is fetched first, outside any transaction;
the findings are then written in one short transaction that finds each case again by its
fingerprint (a re-run never duplicates) and notes the cases whose cause is gone (never
deleting them).

``take_case`` / ``add_note`` / ``close_case``: the Bendahara (or the KPPN, which may take a
case over) works a case: open → investigating → resolved/dismissed with a reason; audited.

``lpj_figures`` / ``submit_lpj``: the month's LPJ — book balances, the bank's closing
balance (asked of the bank, outside any transaction), the items in transit that explain the
difference; submitting freezes them in an ``Lpj`` row, refused unless they agree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import Role
from digipay.accounts.services import audit
from digipay.books import rules
from digipay.books.models import CaseNote, Lpj, ReconciliationCase, ReconciliationRun
from digipay.books.rules import CaseStatus, Finding, LedgerLine, StatementLine
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, ValidationFailed
from digipay.integrations.banks.errors import BankError
from digipay.integrations.banks.rules import Service
from digipay.ledger.models import Account, Posting
from digipay.notifications.services import notify
from digipay.payments import queries as payments_queries
from digipay.payments import services as payments_services
from digipay.payments.models import TreasurerAccount
from digipay.payments.movements import Movement, MovementKind, MovementStatus
from digipay.replenishment import queries as replenishment_queries
from digipay.snap import values
from digipay.treasury.models import UpAllocation, UpReturn

log = logging.getLogger(__name__)

# The job re-checks this many past days each run: what was in transit yesterday and is still
# unmatched today becomes a case ("late", "missing") on a later run.
RECHECK_DAYS = 3
MAX_STATEMENT_SPAN = timedelta(days=31)


def gateway_for(bank_code: str) -> Any:
    """The bank's gateway: the one payments uses (tests point it at the simulator)."""
    return payments_services.gateway_for(bank_code)


# --- the three sources --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BankStatement:
    lines: list[StatementLine]
    opening: int
    closing: int
    closing_at: datetime
    has_more: bool


def fetch_statement(account: TreasurerAccount, start: datetime, end: datetime) -> BankStatement:
    """The bank's statement of the treasurer account over [start, end) (SNAP 14). A network
    call: never inside a transaction.

    The gateway's ``statement()`` keeps only the bank's id, direction, amount and date; the
    reconciliation also needs the partner reference Digipay sent, the remark and the balances,
    so the SNAP answer is read whole here through the gateway's own signed call."""
    gateway = gateway_for(account.bank_code)
    data = gateway._ok(  # the full SNAP 14 answer (see the docstring)
        Service.STATEMENT,
        {
            "accountNo": account.account_no,
            "fromDateTime": values.format_timestamp(start),
            "toDateTime": values.format_timestamp(end),
        },
    )
    lines = []
    for d in data.get("detailData", []):
        amount = values.parse_amount(d["amount"]["value"])
        extra = d.get("additionalInfo") or {}
        lines.append(
            StatementLine(
                reference_no=str(d["transactionId"]),
                partner_reference=str(extra.get("partnerReferenceNo") or ""),
                amount_idr=amount if d["type"] == "CREDIT" else -amount,
                booked_at=values.parse_timestamp(str(d["transactionDate"])),
                remark=str(d.get("remark") or ""),
            )
        )
    balance = (data.get("balance") or [{}])[0]
    opening = values.parse_amount(balance.get("startingBalance", {}).get("value", "0.00"))
    closing = values.parse_amount(balance.get("endingBalance", {}).get("value", "0.00"))
    return BankStatement(lines, opening, closing, end, data.get("hasMore") == "Y")


MovementSource = Callable[[int, datetime, datetime], Sequence[Movement]]


def _payments_source(satker_id: int, start: datetime, end: datetime) -> Sequence[Movement]:
    """Payments answers by Jakarta days, both ends included: the days that [start, end) touches
    (a wider net is harmless: the matching looks at each record's own times)."""
    found = getattr(payments_queries, "treasurer_movements", None)
    if found is None:
        return []
    first = start.astimezone(clock.JAKARTA).date()
    last = (end - timedelta(microseconds=1)).astimezone(clock.JAKARTA).date()
    return list(found(satker_id, first, last))


def _replenishment_source(satker_id: int, start: datetime, end: datetime) -> Sequence[Movement]:
    found = getattr(replenishment_queries, "treasurer_movements", None)
    return list(found(satker_id, start, end)) if found is not None else []


def treasury_movements(satker_id: int, start: datetime, end: datetime) -> list[Movement]:
    """UP/TUP advances (SP2D credits into the treasurer's account) and year-end UP returns:
    recorded by the treasury app, which has no ``treasurer_movements`` of its own. The SP2D
    number (or the NTPN of a return) is the reference the bank's remark carries."""
    found: list[Movement] = []
    for a in UpAllocation.objects.filter(
        satker_id=satker_id,
        recorded_at__gte=start,
        recorded_at__lt=end,
        ledger_entry_id__isnull=False,
        tunai_idr__gt=0,
    ):
        found.append(
            Movement(
                kind=MovementKind.SP2D,
                direction=1,
                amount_idr=int(a.tunai_idr),
                status=MovementStatus.DONE,
                bank_reference="",
                partner_reference=a.sp2d_number,
                remark=f"SP2D-{a.kind} {a.sp2d_number}",
                created_at=a.recorded_at,
                settled_at=a.recorded_at,
                entry_ids=(int(a.ledger_entry_id or 0),),
                source=f"treasury.upallocation:{a.pk}",
            )
        )
    for r in UpReturn.objects.filter(
        satker_id=satker_id, recorded_at__gte=start, recorded_at__lt=end, tunai_idr__gt=0
    ):
        found.append(
            Movement(
                kind=MovementKind.SP2D,  # a state-treasury movement (no kind of its own)
                direction=-1,
                amount_idr=int(r.tunai_idr),
                status=MovementStatus.DONE,
                bank_reference="",
                partner_reference=r.deposit_reference,
                remark=f"Setoran sisa UP {r.deposit_reference}",
                created_at=r.recorded_at,
                settled_at=r.recorded_at,
                entry_ids=(int(r.ledger_entry_id),),
                source=f"treasury.upreturn:{r.pk}",
            )
        )
    return found


# Where Digipay's records come from; tests replace the list (a seam).
movement_sources: list[MovementSource] = [
    _payments_source,
    _replenishment_source,
    treasury_movements,
]


def digipay_movements(satker_id: int, start: datetime, end: datetime) -> list[Movement]:
    """Every source's records, each once: a row another source already gave (same record,
    reference and direction) is skipped, and so is treasury's view of a TUP that
    replenishment reports as the SPM it came from (same SP2D number). One record may have
    several rows within its source (a payment's instructions, told apart by their references;
    a refund's credits, one per bank booking under the same reference): those are all kept.
    Treasury's source must stay last."""
    seen: set[tuple[str, str, int]] = set()
    sp2d: set[tuple[str, int]] = set()
    result: list[Movement] = []
    for source in movement_sources:
        given: set[tuple[str, str, int]] = set()
        for m in source(satker_id, start, end):
            key = (m.source, m.partner_reference, m.direction)
            if key in seen:
                continue  # an earlier source gave this record already
            if m.source.startswith("treasury.") and (m.partner_reference, m.direction) in sp2d:
                continue  # a TUP replenishment recorded as the SPM it came from
            given.add(key)
            if m.kind == MovementKind.SP2D:
                sp2d.add((m.partner_reference, m.direction))
            result.append(m)
        seen |= given
    return result


def ledger_lines(satker_id: int, start: datetime, end: datetime) -> list[LedgerLine]:
    """The posted UP_TUNAI lines of the satker whose entries were written in [start, end)."""
    rows = (
        Posting.objects.filter(
            account__owner_id=satker_id,
            account__code="UP_TUNAI",
            pending=False,
            entry__created_at__gte=start,
            entry__created_at__lt=end,
        )
        .select_related("entry")
        .order_by("entry__created_at", "id")
    )
    return [
        LedgerLine(
            int(p.entry_id),
            int(p.amount),
            p.entry.created_at,
            p.entry.reason_code,
            f"{p.entry.source_type}:{p.entry.source_id}",
        )
        for p in rows
    ]


# --- the daily reconciliation -------------------------------------------------------------------


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=clock.JAKARTA)
    return start, start + timedelta(days=1)


def reconcile_day(
    satker: Organisation, day: date, *, now: datetime | None = None
) -> ReconciliationRun:
    """Reconcile one day of the satker's treasurer account and record the cases."""
    now = now or clock.now()
    account = TreasurerAccount.objects.filter(satker=satker).first()
    if account is None:
        raise NotFound(_("Rekening Bendahara Pengeluaran satker belum terdaftar."))
    start, end = day_bounds(day)
    if start >= now:
        raise ValidationFailed(_("Hari yang belum dimulai tidak dapat direkonsiliasi."))
    look_end = min(now, end + rules.SETTLEMENT_WINDOW)
    try:
        statement = fetch_statement(account, start, look_end)
    except (BankError, LookupError) as exc:  # LookupError: no profile for the account's bank
        log.warning("statement of satker %s for %s failed: %s", satker.pk, day, exc)
        return _record_failure(satker, day, account, now, f"{type(exc).__name__}: {exc}")
    movements = digipay_movements(int(satker.pk), start - rules.SETTLEMENT_WINDOW, look_end)
    ledger = ledger_lines(int(satker.pk), start, end)
    result = rules.reconcile_day(
        day_start=start,
        day_end=end,
        now=now,
        statement=statement.lines,
        movements=movements,
        ledger=ledger,
    )
    findings = list(result.findings)
    if statement.has_more:
        findings.append(
            Finding(
                rules.CaseKind.MISSING_IN_DIGIPAY,
                f"statement-truncated:{day.isoformat()}",
                0,
                None,
                "",
                "",
                "",
                _("Rekening koran hari ini melebihi batas baris bank; rekonsiliasi tidak lengkap."),
            )
        )
    return _record(
        satker,
        day,
        account,
        now,
        findings,
        counts={
            "statement_lines": len(statement.lines),
            "movements": len(movements),
            "ledger_lines": len(ledger),
            "matched": result.matched,
        },
    )


def _lock_run(
    satker: Organisation, day: date, account: TreasurerAccount, now: datetime
) -> ReconciliationRun:
    try:
        with transaction.atomic():
            ReconciliationRun.objects.get_or_create(
                satker=satker,
                day=day,
                defaults={
                    "bank_code": account.bank_code,
                    "account_no": account.account_no,
                    "last_run_at": now,
                },
            )
    except IntegrityError:  # created concurrently: lock the winner's row below
        pass
    return ReconciliationRun.objects.select_for_update().get(satker=satker, day=day)


@transaction.atomic
def _record_failure(
    satker: Organisation, day: date, account: TreasurerAccount, now: datetime, error: str
) -> ReconciliationRun:
    run = _lock_run(satker, day, account, now)
    run.runs += 1
    run.last_run_at = now
    run.error = error[:300]
    run.save()
    return run


@transaction.atomic
def _record(
    satker: Organisation,
    day: date,
    account: TreasurerAccount,
    now: datetime,
    findings: list[Finding],
    *,
    counts: dict[str, int],
) -> ReconciliationRun:
    run = _lock_run(satker, day, account, now)  # one writer per satker and day
    run.runs += 1
    run.last_run_at = now
    run.bank_code, run.account_no = account.bank_code, account.account_no
    run.error = ""
    run.findings = len(findings)
    for name, value in counts.items():
        setattr(run, name, value)
    run.save()
    seen: set[str] = set()
    opened: list[ReconciliationCase] = []
    for f in findings:
        fingerprint = f.fingerprint[:200]
        seen.add(fingerprint)
        case = (
            ReconciliationCase.objects.select_for_update()
            .filter(satker=satker, fingerprint=fingerprint)
            .first()
        )
        if case is None:
            case = ReconciliationCase.objects.create(
                satker=satker,
                day=day,
                kind=f.kind,
                fingerprint=fingerprint,
                amount_idr=f.amount_idr,
                expected_idr=f.expected_idr,
                bank_reference=f.bank_reference[:200],
                partner_reference=f.partner_reference[:64],
                source=f.source[:300],
                detail=f.detail,
                occurred_at=f.occurred_at,
                owner_org=satker,
                last_seen_at=now,
                created_at=now,
            )
            audit(None, "reconciliation.case_opened", case, after=case.audit_state())
            opened.append(case)
            continue
        case.last_seen_at = now
        fields = ["last_seen_at"]
        if case.cause_gone_at is not None:
            case.cause_gone_at = None
            fields.append("cause_gone_at")
            _note(case, None, _("Penyebab terlihat lagi pada rekonsiliasi %(day)s.") % {"day": day})
        case.save(update_fields=fields)
    gone = ReconciliationCase.objects.select_for_update().filter(
        satker=satker, day=day, cause_gone_at__isnull=True
    )
    for case in gone.exclude(fingerprint__in=seen):
        case.cause_gone_at = now
        case.save(update_fields=["cause_gone_at"])
        _note(
            case,
            None,
            _("Penyebab tidak terlihat lagi pada rekonsiliasi ulang %(day)s.") % {"day": day},
        )
        audit(None, "reconciliation.cause_gone", case, after={"fingerprint": case.fingerprint})
    if opened:
        bendahara = User.objects.filter(organisation=satker, role=Role.BENDAHARA, is_active=True)
        notify(
            bendahara,
            title=_("Selisih rekonsiliasi"),
            body=_("Rekonsiliasi %(day)s menemukan %(n)d selisih baru yang perlu diperiksa.")
            % {"day": day.strftime("%d/%m/%Y"), "n": len(opened)},
            link="/rekonsiliasi/",
        )
    return run


MAX_RERUN_DAYS = 62


def rerun_day(actor: User, satker: Organisation, day: date) -> ReconciliationRun:
    """The Bendahara (or the KPPN) reconciles a past or the current day again, now — e.g.
    after fixing a record. Asks the bank: never call inside a transaction."""
    require(actor, "reconciliation.resolve", satker)
    today = clock.today_jakarta()
    if day > today:
        raise ValidationFailed(
            _("Hari yang belum dimulai tidak dapat direkonsiliasi."), details={"field": "day"}
        )
    if (today - day).days > MAX_RERUN_DAYS:
        raise ValidationFailed(
            _("Rekonsiliasi ulang paling jauh %(n)d hari ke belakang.") % {"n": MAX_RERUN_DAYS},
            details={"field": "day"},
        )
    run = reconcile_day(satker, day)
    with transaction.atomic():
        audit(
            actor, "reconciliation.rerun", run, after={"day": day.isoformat(), "error": run.error}
        )
    return run


def reconcile_all(now: datetime) -> int:
    """The worker's daily job: every treasurer account, the last ``RECHECK_DAYS`` complete
    days (a re-run finds its cases again; a later run catches what became late)."""
    today = now.astimezone(clock.JAKARTA).date()
    done = 0
    for account in TreasurerAccount.objects.select_related("satker").order_by("id"):
        for back in range(RECHECK_DAYS, 0, -1):
            try:
                reconcile_day(account.satker, today - timedelta(days=back), now=now)
                done += 1
            except Exception:  # one satker's failure must not stop the others
                log.exception("reconciliation of satker %s failed", account.satker_id)
    return done


# --- cases ----------------------------------------------------------------------------------------


def _note(case: ReconciliationCase, author: User | None, text: str) -> CaseNote:
    return CaseNote.objects.create(case=case, author=author, text=text, created_at=clock.now())


def _lock_case(case_id: int) -> ReconciliationCase:
    case = ReconciliationCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("Kasus rekonsiliasi tidak ditemukan."))
    return case


@transaction.atomic
def take_case(actor: User, case_id: int) -> ReconciliationCase:
    """The actor (the satker's Bendahara, or its KPPN taking it over) owns the case and starts
    investigating it."""
    case = _lock_case(case_id)
    require(actor, "reconciliation.resolve", case)
    if not case.is_open:
        raise Conflict(_("Kasus ini sudah ditutup."), code="case_closed")
    before = case.audit_state()
    case.owner = actor
    case.owner_org_id = actor.organisation_id
    case.status = CaseStatus.INVESTIGATING
    case.save(update_fields=["owner", "owner_org", "status"])
    _note(case, actor, _("Kasus diambil untuk diperiksa oleh %(name)s.") % {"name": actor})
    audit(actor, "reconciliation.case_taken", case, before=before, after=case.audit_state())
    return case


@transaction.atomic
def add_note(actor: User, case_id: int, text: str) -> CaseNote:
    case = _lock_case(case_id)
    require(actor, "reconciliation.resolve", case)
    text = (text or "").strip()
    if len(text) < 3:
        raise ValidationFailed(_("Catatan wajib diisi."), details={"field": "text"})
    if len(text) > 2000:
        raise ValidationFailed(_("Catatan paling banyak 2000 karakter."), details={"field": "text"})
    note = _note(case, actor, text)
    audit(actor, "reconciliation.case_noted", case, after={"note": note.pk})
    return note


@transaction.atomic
def close_case(actor: User, case_id: int, *, status: str, reason: str) -> ReconciliationCase:
    """Resolve (the cause was fixed) or dismiss (not a real discrepancy) with a reason."""
    case = _lock_case(case_id)
    require(actor, "reconciliation.resolve", case)
    reason = (reason or "").strip()
    if status not in rules.CLOSED_CASE_STATUSES:
        raise ValidationFailed(_("Status penutupan tidak dikenal."), details={"field": "status"})
    if problem := rules.transition_error(case.status, status, reason):
        raise ValidationFailed(problem, code="case_transition", details={"field": "reason"})
    before = case.audit_state()
    case.status = status
    case.resolution = reason
    case.closed_by = actor
    case.closed_at = clock.now()
    if case.owner_id is None:
        case.owner = actor
        case.owner_org_id = actor.organisation_id
    case.save()
    _note(case, actor, f"{case.get_status_display()}: {reason}")
    audit(actor, "reconciliation.case_closed", case, before=before, after=case.audit_state())
    return case


# --- balances from the ledger -------------------------------------------------------------------


def posted_until(satker_id: int, codes: Sequence[str], end: datetime, *, prefix: str = "") -> int:
    """Σ posted lines (+ debit, − credit) of the satker's accounts written before ``end``."""
    accounts = Account.objects.filter(owner_id=satker_id)
    accounts = (
        accounts.filter(code__startswith=prefix) if prefix else accounts.filter(code__in=codes)
    )
    total = Posting.objects.filter(
        account__in=accounts, pending=False, entry__created_at__lt=end
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


# --- LPJ ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LpjFigures:
    satker: Organisation
    period: date
    cut_off: datetime
    due_date: date
    late: bool
    up_tunai: int
    up_kkp: int
    kkp_bill_paid: int
    taxes_held: int
    bank_opening: int
    bank_closing: int
    items: list[rules.TransitItem]
    in_transit: int
    unexplained: int
    open_cases: int
    unused_up: int | None  # December: what must be returned by 31 December
    up_returned: bool | None

    @property
    def agrees(self) -> bool:
        return self.unexplained == 0


def month_bounds(period: date) -> tuple[datetime, datetime]:
    start = datetime.combine(period, time.min, tzinfo=clock.JAKARTA)
    end = datetime.combine(rules.next_month(period), time.min, tzinfo=clock.JAKARTA)
    return start, end


def lpj_figures(actor: User, satker: Organisation, period: date) -> LpjFigures:
    """The month's LPJ as it stands (asks the bank: never call inside a transaction)."""
    require(actor, "books.view", satker)
    now = clock.now()
    today = clock.today_jakarta()
    if problem := rules.period_error(period, today):
        raise ValidationFailed(problem, details={"field": "period"})
    account = TreasurerAccount.objects.filter(satker=satker).first()
    if account is None:
        raise Conflict(
            _("Rekening Bendahara Pengeluaran satker belum terdaftar."), code="no_treasurer_account"
        )
    start, end = month_bounds(period)
    cut_off = min(end, now + timedelta(microseconds=1))  # what is posted now counts
    sid = int(satker.pk)
    try:
        statement = fetch_statement(account, start, cut_off)
    except LookupError as exc:  # no profile for the account's bank: nothing to ask
        log.warning("statement of satker %s for %s: %s", satker.pk, period, exc)
        raise Conflict(
            _(
                "Rekening koran bank belum dapat diambil: bank %(bank)s rekening Bendahara "
                "belum terhubung dengan Digipay."
            )
            % {"bank": account.bank_code},
            code="bank_unavailable",
        ) from exc
    except BankError as exc:
        raise Conflict(
            _("Rekening koran bank belum dapat diambil: %(why)s") % {"why": exc},
            code="bank_unavailable",
        ) from exc
    movements = [
        m
        for m in digipay_movements(sid, start - rules.SETTLEMENT_WINDOW, cut_off)
        if (m.status == MovementStatus.OPEN and m.created_at < cut_off)
        or (
            m.status == MovementStatus.DONE
            and m.settled_at is not None
            and start <= m.settled_at < cut_off
        )
    ]
    items = rules.transit_items(movements, statement.lines)
    up_tunai = posted_until(sid, ["UP_TUNAI"], cut_off)
    up_kkp = posted_until(sid, ["UP_KKP"], cut_off)
    unused_up = returned = None
    if period.month == 12:
        unused_up = up_tunai + up_kkp
        returned = UpReturn.objects.filter(satker=satker, fiscal_year=period.year).exists()
    existing = Lpj.objects.filter(satker=satker, period=period).first()
    return LpjFigures(
        satker=satker,
        period=period,
        cut_off=cut_off,
        due_date=rules.lpj_due_date(period),
        late=rules.lpj_is_late(
            period,
            submitted_on=existing.submitted_at.astimezone(clock.JAKARTA).date()
            if existing
            else None,
            today=today,
        ),
        up_tunai=up_tunai,
        up_kkp=up_kkp,
        kkp_bill_paid=posted_until(sid, ["KKP_BILL_PAID"], cut_off),
        taxes_held=-posted_until(sid, [], cut_off, prefix="TAX_PAYABLE:"),
        bank_opening=statement.opening,
        bank_closing=statement.closing,
        items=items,
        in_transit=sum(i.bank_effect for i in items),
        unexplained=rules.unexplained(statement.closing, up_tunai, items),
        open_cases=ReconciliationCase.objects.filter(
            satker=satker, status__in=rules.OPEN_CASE_STATUSES
        ).count(),
        unused_up=unused_up,
        up_returned=returned,
    )


def submit_lpj(actor: User, satker: Organisation, period: date) -> Lpj:
    """The Bendahara submits the month's LPJ: its figures are frozen as they are now. Refused
    when the bank's balance and the book's differ by anything the items in transit do not
    explain (reconcile first)."""
    require(actor, "lpj.submit", satker)
    found = Lpj.objects.filter(satker=satker, period=period).first()
    if found is not None:
        raise Conflict(_("LPJ bulan ini sudah disampaikan."), code="lpj_submitted")
    figures = lpj_figures(actor, satker, period)  # asks the bank, outside the transaction
    if not figures.agrees:
        raise Conflict(
            _(
                "Saldo rekening koran dan saldo buku berselisih %(diff)s yang tidak dijelaskan "
                "transaksi dalam perjalanan. Selesaikan rekonsiliasi terlebih dahulu."
            )
            % {"diff": f"Rp{figures.unexplained:,}".replace(",", ".")},
            code="lpj_does_not_agree",
            details={"unexplained_idr": figures.unexplained},
        )
    return _freeze(actor, figures)


@transaction.atomic
def _freeze(actor: User, figures: LpjFigures) -> Lpj:
    satker = Organisation.objects.select_for_update().get(pk=figures.satker.pk)
    if Lpj.objects.filter(satker=satker, period=figures.period).exists():
        raise Conflict(_("LPJ bulan ini sudah disampaikan."), code="lpj_submitted")
    now = clock.now()
    lpj = Lpj.objects.create(
        satker=satker,
        period=figures.period,
        number=f"LPJ-{satker.code}-{figures.period:%Y%m}",
        due_date=figures.due_date,
        late=rules.lpj_is_late(
            figures.period, submitted_on=now.astimezone(clock.JAKARTA).date(), today=now.date()
        ),
        up_tunai_idr=figures.up_tunai,
        up_kkp_idr=figures.up_kkp,
        kkp_bill_paid_idr=figures.kkp_bill_paid,
        taxes_held_idr=figures.taxes_held,
        bank_closing_idr=figures.bank_closing,
        bank_closing_at=figures.cut_off,
        in_transit_idr=figures.in_transit,
        transit_items=[asdict(i) for i in figures.items],
        open_cases=figures.open_cases,
        unused_up_idr=figures.unused_up,
        up_returned=figures.up_returned,
        submitted_by=actor,
        submitted_at=now,
    )
    audit(
        actor,
        "lpj.submitted",
        lpj,
        after={
            "number": lpj.number,
            "up_tunai_idr": lpj.up_tunai_idr,
            "bank_closing_idr": lpj.bank_closing_idr,
            "in_transit_idr": lpj.in_transit_idr,
            "late": lpj.late,
        },
    )
    return lpj
