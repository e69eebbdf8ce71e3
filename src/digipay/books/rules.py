"""Pure decisions of the books app (no database): the three-way match of one treasurer
account's day, the running balance of a book, the LPJ's calendar and its agreement, and the
life of a reconciliation case.

Decision: docs/adr/0024-books-lpj-reconciliation.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from digipay.payments.movements import Movement, MovementKind, MovementStatus

# A transfer may appear on the statement up to this long after Digipay recorded it (and the
# other way round) before it is "late"; SNAP transfers book at once, SKN and SP2D credits may
# take a working day.
SETTLEMENT_WINDOW = timedelta(days=1)
LPJ_DUE_DAY = 10  # the LPJ of a month is due by the 10th of the next month


class CaseKind(models.TextChoices):
    MISSING_IN_DIGIPAY = "MISSING_IN_DIGIPAY", _("Ada di rekening koran, tidak ada di Digipay")
    MISSING_ON_STATEMENT = (
        "MISSING_ON_STATEMENT",
        _("Tercatat selesai, tidak ada di rekening koran"),
    )
    MISSING_IN_LEDGER = "MISSING_IN_LEDGER", _("Tidak cocok antara catatan dan buku besar")
    DUPLICATE = "DUPLICATE", _("Tercatat ganda")
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH", _("Nilai berbeda")
    UNKNOWN_REFERENCE = "UNKNOWN_REFERENCE", _("Referensi tidak dikenal")
    LATE_SETTLEMENT = "LATE_SETTLEMENT", _("Penyelesaian terlambat")


class CaseStatus(models.TextChoices):
    OPEN = "OPEN", _("Terbuka")
    INVESTIGATING = "INVESTIGATING", _("Sedang diperiksa")
    RESOLVED = "RESOLVED", _("Selesai")
    DISMISSED = "DISMISSED", _("Diabaikan")


OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.INVESTIGATING)
CLOSED_CASE_STATUSES = (CaseStatus.RESOLVED, CaseStatus.DISMISSED)
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.OPEN: frozenset(
        {CaseStatus.INVESTIGATING, CaseStatus.RESOLVED, CaseStatus.DISMISSED}
    ),
    CaseStatus.INVESTIGATING: frozenset({CaseStatus.RESOLVED, CaseStatus.DISMISSED}),
    CaseStatus.RESOLVED: frozenset(),
    CaseStatus.DISMISSED: frozenset(),
}
MIN_REASON_LENGTH = 10


def transition_error(current: str, target: str, reason: str) -> str | None:
    """Why a case may not move from ``current`` to ``target`` with ``reason``, or None."""
    if target not in CaseStatus.values:
        return str(_("Status kasus tidak dikenal."))
    if target not in CASE_TRANSITIONS.get(current, frozenset()):
        return str(_("Kasus dengan status ini tidak dapat diubah ke status tersebut."))
    if target in CLOSED_CASE_STATUSES and len(reason.strip()) < MIN_REASON_LENGTH:
        return str(
            _("Alasan penyelesaian wajib diisi (paling sedikit %(n)d karakter).")
            % {"n": MIN_REASON_LENGTH}
        )
    return None


# --- the three sources of one day ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One booking on the bank's statement of the treasurer account."""

    reference_no: str  # the bank's transaction id
    partner_reference: str  # the reference Digipay sent (empty for admin/other bookings)
    amount_idr: int  # signed: + credit into the account, − debit out of it
    booked_at: datetime
    remark: str = ""


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One posted line of the satker's UP_TUNAI account (+ debit: money in)."""

    entry_id: int
    amount_idr: int
    created_at: datetime
    reason_code: str
    source: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One mismatch; ``fingerprint`` is stable across re-runs so the case is found again."""

    kind: str
    fingerprint: str
    amount_idr: int
    expected_idr: int | None
    bank_reference: str
    partner_reference: str
    source: str
    detail: str
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DayResult:
    findings: list[Finding]
    matched: int
    in_transit: list[Movement] = field(default_factory=list)


def _in(day_start: datetime, day_end: datetime, at: datetime | None) -> bool:
    return at is not None and day_start <= at < day_end


def _rp(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


def match_statement(
    movement: Movement,
    by_bank_ref: dict[str, list[StatementLine]],
    by_partner_ref: dict[str, list[StatementLine]],
) -> list[StatementLine]:
    """The statement lines that carry this movement: by the bank's reference once known, else
    by the reference Digipay sent."""
    if movement.bank_reference and movement.bank_reference in by_bank_ref:
        return by_bank_ref[movement.bank_reference]
    if movement.partner_reference and movement.partner_reference in by_partner_ref:
        return by_partner_ref[movement.partner_reference]
    if movement.kind == MovementKind.SP2D and movement.partner_reference:
        # The treasury's credits carry no partner reference of Digipay's: the SP2D number
        # rides in the remark, with the exact amount.
        return [
            line
            for lines in by_bank_ref.values()
            for line in lines
            if not line.partner_reference
            and movement.partner_reference in line.remark
            and line.amount_idr == movement.signed_amount
        ][:1]
    return []


def _instalments(twins: Sequence[Movement]) -> bool:
    """One refund received in several credits (instalments, a credit a person accepted): the
    same record under one reference, each row the bank's own booking — not a duplicate. Any
    other record twice under one reference is (a transfer recorded twice)."""
    banked = {m.bank_reference for m in twins}
    return (
        all(m.kind == MovementKind.REFUND for m in twins)
        and len({m.source for m in twins}) == 1
        and "" not in banked
        and len(banked) == len(twins)
    )


def reconcile_day(
    *,
    day_start: datetime,
    day_end: datetime,
    now: datetime,
    statement: Sequence[StatementLine],
    movements: Sequence[Movement],
    ledger: Sequence[LedgerLine],
    window: timedelta = SETTLEMENT_WINDOW,
) -> DayResult:
    """Match one day three ways.

    ``statement`` holds the bank's lines from ``day_start`` to the end of the look-ahead
    (``day_end`` + ``window``, or now): lines after the day only serve to find what Digipay
    recorded on the day. ``movements`` are Digipay's records created or settled from
    ``day_start − window`` on; ``ledger`` the UP_TUNAI lines posted on the day.
    """
    findings: list[Finding] = []
    matched = 0
    in_transit: list[Movement] = []
    by_bank_ref: dict[str, list[StatementLine]] = defaultdict(list)
    by_partner_ref: dict[str, list[StatementLine]] = defaultdict(list)
    for line in statement:
        by_bank_ref[line.reference_no].append(line)
        if line.partner_reference:
            by_partner_ref[line.partner_reference].append(line)

    # 1. The bank's own duplicates: one reference booked twice on the day.
    for ref, lines in by_partner_ref.items():
        today = [ln for ln in lines if _in(day_start, day_end, ln.booked_at)]
        if len(lines) > 1 and today:
            findings.append(
                Finding(
                    CaseKind.DUPLICATE,
                    f"dup-bank:{ref}",
                    sum(ln.amount_idr for ln in lines),
                    lines[0].amount_idr,
                    ", ".join(ln.reference_no for ln in lines),
                    ref,
                    "",
                    str(_("Referensi %(ref)s dibukukan %(n)d kali oleh bank."))
                    % {"ref": ref, "n": len(lines)},
                    today[0].booked_at,
                )
            )

    # 2. Digipay's own duplicates: two live records with one reference.
    live = [m for m in movements if m.status != MovementStatus.FAILED]
    refs = Counter(m.partner_reference for m in live if m.partner_reference)
    for ref, n in refs.items():
        if n < 2:
            continue
        twins = [m for m in live if m.partner_reference == ref]
        if _instalments(twins):
            continue
        if not any(
            _in(day_start, day_end, m.settled_at or m.created_at) for m in twins
        ):  # reported on the day it happened only
            continue
        findings.append(
            Finding(
                CaseKind.DUPLICATE,
                f"dup-digipay:{ref}",
                sum(m.amount_idr for m in twins),
                twins[0].amount_idr,
                twins[0].bank_reference,
                ref,
                ", ".join(m.source for m in twins),
                str(_("Referensi %(ref)s tercatat %(n)d kali di Digipay (%(sources)s)."))
                % {"ref": ref, "n": n, "sources": ", ".join(m.source for m in twins)},
                twins[0].created_at,
            )
        )

    # 3. Every Digipay record against the statement.
    claimed: set[str] = set()
    for m in movements:
        lines = match_statement(m, by_bank_ref, by_partner_ref)
        for ln in lines:
            claimed.add(ln.reference_no)
        booked = lines[0] if lines else None
        settled_today = m.status == MovementStatus.DONE and _in(day_start, day_end, m.settled_at)
        line_today = booked is not None and _in(day_start, day_end, booked.booked_at)
        if not (settled_today or line_today or m.status == MovementStatus.OPEN):
            continue  # another day's business
        if m.status == MovementStatus.FAILED:
            if line_today and booked is not None:
                findings.append(
                    Finding(
                        CaseKind.MISSING_IN_DIGIPAY,
                        f"failed-booked:{m.source}:{m.partner_reference}",
                        abs(booked.amount_idr),
                        m.amount_idr,
                        booked.reference_no,
                        m.partner_reference,
                        m.source,
                        str(
                            _(
                                "Digipay mencatat %(source)s gagal, tetapi bank "
                                "membukukannya (%(ref)s)."
                            )
                        )
                        % {"source": m.source, "ref": booked.reference_no},
                        booked.booked_at,
                    )
                )
            continue
        if booked is None:
            if m.status == MovementStatus.OPEN:
                in_transit.append(m)
                continue
            assert m.settled_at is not None
            if now - m.settled_at <= window:
                in_transit.append(m)  # may still book today or tomorrow
                continue
            findings.append(
                Finding(
                    CaseKind.MISSING_ON_STATEMENT,
                    f"not-booked:{m.source}:{m.partner_reference}{_credit_suffix(m)}",
                    m.amount_idr,
                    m.amount_idr,
                    m.bank_reference,
                    m.partner_reference,
                    m.source,
                    str(
                        _("%(source)s tercatat selesai %(rp)s, tetapi tidak ada di rekening koran.")
                    )
                    % {"source": m.source, "rp": _rp(m.amount_idr)},
                    m.settled_at,
                )
            )
            continue
        matched += 1
        if booked.amount_idr != m.signed_amount:
            findings.append(
                Finding(
                    CaseKind.AMOUNT_MISMATCH,
                    f"amount:{m.source}:{booked.reference_no}",
                    booked.amount_idr,
                    m.signed_amount,
                    booked.reference_no,
                    m.partner_reference,
                    m.source,
                    str(
                        _(
                            "Bank membukukan %(bank)s, Digipay mencatat %(ours)s untuk "
                            "%(source)s (selisih %(diff)s)."
                        )
                    )
                    % {
                        "bank": _rp(booked.amount_idr),
                        "ours": _rp(m.signed_amount),
                        "source": m.source,
                        "diff": _rp(booked.amount_idr - m.signed_amount),
                    },
                    booked.booked_at,
                )
            )
        if m.status == MovementStatus.OPEN:
            if now - booked.booked_at > window:
                findings.append(
                    Finding(
                        CaseKind.LATE_SETTLEMENT,
                        f"late-digipay:{m.source}:{booked.reference_no}",
                        m.amount_idr,
                        None,
                        booked.reference_no,
                        m.partner_reference,
                        m.source,
                        str(
                            _(
                                "Bank sudah mengeksekusi %(ref)s pada %(at)s, tetapi Digipay "
                                "masih mencatatnya belum selesai."
                            )
                        )
                        % {"ref": booked.reference_no, "at": booked.booked_at.isoformat()},
                        booked.booked_at,
                    )
                )
            else:
                in_transit.append(m)
        elif m.settled_at is not None and abs(booked.booked_at - m.settled_at) > window:
            findings.append(
                Finding(
                    CaseKind.LATE_SETTLEMENT,
                    f"late-bank:{m.source}:{booked.reference_no}",
                    m.amount_idr,
                    None,
                    booked.reference_no,
                    m.partner_reference,
                    m.source,
                    str(
                        _(
                            "%(ref)s dibukukan bank pada %(at)s, di luar batas waktu "
                            "penyelesaian setelah Digipay mencatatnya."
                        )
                    )
                    % {"ref": booked.reference_no, "at": booked.booked_at.isoformat()},
                    booked.booked_at,
                )
            )

    # 4. The day's bank lines that no Digipay record claims.
    for line in statement:
        if line.reference_no in claimed or not _in(day_start, day_end, line.booked_at):
            continue
        if line.partner_reference:
            kind, fingerprint = CaseKind.UNKNOWN_REFERENCE, f"unknown:{line.reference_no}"
            detail = str(
                _("Bank membukukan %(rp)s dengan referensi %(ref)s yang tidak dikenal Digipay.")
            ) % {"rp": _rp(line.amount_idr), "ref": line.partner_reference}
        else:
            kind, fingerprint = CaseKind.MISSING_IN_DIGIPAY, f"unrecorded:{line.reference_no}"
            detail = str(
                _("Bank membukukan %(rp)s (%(remark)s) yang tidak tercatat di Digipay.")
            ) % {"rp": _rp(line.amount_idr), "remark": line.remark or line.reference_no}
        findings.append(
            Finding(
                kind,
                fingerprint,
                line.amount_idr,
                None,
                line.reference_no,
                line.partner_reference,
                "",
                detail,
                line.booked_at,
            )
        )

    findings.extend(_ledger_findings(day_start, day_end, movements, ledger))
    return DayResult(findings, matched, in_transit)


def _credit_suffix(m: Movement) -> str:
    """A refund's credits share its record and reference: each credit's case is its own."""
    if m.kind == MovementKind.REFUND and m.bank_reference:
        return f":{m.bank_reference}"
    return ""


def _ledger_findings(
    day_start: datetime,
    day_end: datetime,
    movements: Sequence[Movement],
    ledger: Sequence[LedgerLine],
) -> list[Finding]:
    """Records against the ledger: a settled record's entries must post exactly its amount on
    UP_TUNAI, and every UP_TUNAI line of the day must belong to a record."""
    findings: list[Finding] = []
    by_entry: dict[int, list[LedgerLine]] = defaultdict(list)
    for line in ledger:
        by_entry[line.entry_id].append(line)
    claimed: set[int] = set()
    for m in movements:
        claimed.update(m.entry_ids)
        if m.status != MovementStatus.DONE or not _in(day_start, day_end, m.settled_at):
            continue
        posted = sum(ln.amount_idr for e in m.entry_ids for ln in by_entry.get(e, []))
        if posted == m.signed_amount:
            continue
        findings.append(
            Finding(
                CaseKind.MISSING_IN_LEDGER if posted == 0 else CaseKind.AMOUNT_MISMATCH,
                f"ledger:{m.source}:{m.partner_reference}{_credit_suffix(m)}",
                posted,
                m.signed_amount,
                m.bank_reference,
                m.partner_reference,
                m.source,
                str(
                    _(
                        "Buku besar UP Tunai mencatat %(posted)s untuk %(source)s, "
                        "catatan pembayaran %(ours)s."
                    )
                )
                % {"posted": _rp(posted), "source": m.source, "ours": _rp(m.signed_amount)},
                m.settled_at,
            )
        )
    for entry_id, lines in sorted(by_entry.items()):
        if entry_id in claimed or not any(_in(day_start, day_end, ln.created_at) for ln in lines):
            continue
        total = sum(ln.amount_idr for ln in lines)
        findings.append(
            Finding(
                CaseKind.MISSING_IN_LEDGER,
                f"ledger-orphan:{entry_id}",
                total,
                None,
                "",
                "",
                lines[0].source,
                str(
                    _(
                        "Entri buku besar %(entry)d (%(reason)s) mengubah UP Tunai %(rp)s tanpa "
                        "catatan pembayaran."
                    )
                )
                % {"entry": entry_id, "reason": lines[0].reason_code, "rp": _rp(total)},
                lines[0].created_at,
            )
        )
    return findings


# --- books --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookRow:
    at: datetime
    entry_id: int
    reference: str
    description: str
    account_code: str
    debit: int
    credit: int
    balance: int


def running_rows(
    opening: int, lines: Iterable[tuple[datetime, int, str, str, str, int]], *, debit_normal: bool
) -> list[BookRow]:
    """Rows with a running balance from ``opening``; each line is (at, entry id, reference,
    description, account code, signed amount + debit / − credit). A debit-normal book grows
    with debits (cash), a credit-normal one with credits (taxes held)."""
    balance = opening
    rows = []
    for at, entry_id, reference, description, code, amount in lines:
        debit, credit = (amount, 0) if amount > 0 else (0, -amount)
        balance += (debit - credit) if debit_normal else (credit - debit)
        rows.append(BookRow(at, entry_id, reference, description, code, debit, credit, balance))
    return rows


# --- LPJ ------------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(period: date) -> date:
    return date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def lpj_due_date(period: date) -> date:
    """The LPJ of ``period``'s month is due by the 10th of the next month."""
    return next_month(period).replace(day=LPJ_DUE_DAY)


def lpj_is_late(period: date, *, submitted_on: date | None, today: date) -> bool:
    due = lpj_due_date(period)
    return (submitted_on or today) > due


def overdue_lpj(first_held: date | None, submitted: Collection[date], today: date) -> date | None:
    """The earliest month whose LPJ is missing past its due date, or None.

    Months are counted from the one in which the satker first held UP (``first_held``, its
    first UP/TUP recorded in Digipay): a satker that has never held UP owes no LPJ. A late
    LPJ that has since been submitted is no longer missing. On the due date itself the LPJ
    is not late yet (``lpj_is_late``)."""
    if first_held is None:
        return None
    month = month_start(first_held)
    while lpj_is_late(month, submitted_on=None, today=today):
        if month not in submitted:
            return month
        month = next_month(month)
    return None


def lpj_blocks_spm(month: date) -> str:
    """Why the satker's next SPM may not be submitted while ``month``'s LPJ is missing."""
    return str(
        _(
            "LPJ bulan %(month)s belum disampaikan (jatuh tempo %(due)s): SPM berikutnya "
            "tidak dapat diajukan."
        )
        % {"month": f"{month:%m/%Y}", "due": f"{lpj_due_date(month):%d/%m/%Y}"}
    )


def period_error(period: date, today: date) -> str | None:
    """An LPJ may be submitted for a month that has begun, not for a future one."""
    if period.day != 1:
        return str(_("Periode LPJ harus bulan penuh."))
    if period > month_start(today):
        return str(_("LPJ untuk bulan yang belum berjalan tidak dapat disampaikan."))
    return None


@dataclass(frozen=True, slots=True)
class TransitItem:
    """Money the bank and the books see at different times: ``bank_effect`` is what it adds to
    the bank's balance that the book does not (yet) show."""

    description: str
    reference: str
    bank_effect: int


def unexplained(bank_closing: int, book_cash: int, items: Iterable[TransitItem]) -> int:
    """Bank balance − book balance − what the items in transit explain: zero means agreement."""
    return bank_closing - book_cash - sum(i.bank_effect for i in items)


def transit_items(
    movements: Sequence[Movement],
    statement: Sequence[StatementLine],
) -> list[TransitItem]:
    """At the cut-off: a record still open that the bank already booked (the bank has it, the
    book not yet) and a record posted that the bank has not booked yet (the other way)."""
    by_bank_ref: dict[str, list[StatementLine]] = defaultdict(list)
    by_partner_ref: dict[str, list[StatementLine]] = defaultdict(list)
    for line in statement:
        by_bank_ref[line.reference_no].append(line)
        if line.partner_reference:
            by_partner_ref[line.partner_reference].append(line)
    items = []
    for m in movements:
        booked = match_statement(m, by_bank_ref, by_partner_ref)
        if m.status == MovementStatus.OPEN and booked:
            items.append(
                TransitItem(
                    str(_("Sudah dibukukan bank, belum tercatat selesai: %(s)s")) % {"s": m.source},
                    booked[0].reference_no,
                    booked[0].amount_idr,
                )
            )
        elif m.status == MovementStatus.DONE and m.entry_ids and not booked:
            items.append(
                TransitItem(
                    str(_("Sudah dibukukan Digipay, belum di rekening koran: %(s)s"))
                    % {"s": m.source},
                    m.partner_reference or m.bank_reference,
                    -m.signed_amount,
                )
            )
    return items
