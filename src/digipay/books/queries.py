"""Reads of books: the BKU and its sub-books generated from the ledger for a satker and month,
the reconciliation cases an actor may see, the submitted LPJs.

The books are never stored: every row is a posted ledger line, so the book's closing balance
is the ledger's balance at the month's end by construction (and the tests check it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.apps import apps
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digipay.accounts import queries as account_queries
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind
from digipay.books import rules
from digipay.books.models import Lpj, ReconciliationCase, ReconciliationRun
from digipay.core import clock
from digipay.core.errors import NotFound
from digipay.ledger.models import Posting
from digipay.treasury.models import UpAllocation


@dataclass(frozen=True, slots=True)
class BookSpec:
    slug: str
    title: object  # lazy text
    codes: tuple[str, ...]
    prefix: str
    debit_normal: bool


# The BKU: everything the Bendahara holds for the state (UP Tunai cash in the bank, the
# unused UP KKP line, KKP bills paid from UP Tunai awaiting GUP KKP); taxes withheld are in
# the cash until deposited, so their receipt and deposit are BKU rows too.
BOOKS: dict[str, BookSpec] = {
    "bku": BookSpec(
        "bku",
        gettext_lazy("Buku Kas Umum (BKU)"),
        ("UP_TUNAI", "UP_KKP", "KKP_BILL_PAID"),
        "",
        True,
    ),
    "bank": BookSpec("bank", gettext_lazy("Buku pembantu bank"), ("UP_TUNAI",), "", True),
    "up": BookSpec(
        "up", gettext_lazy("Buku pembantu UP KKP"), ("UP_KKP", "KKP_BILL_PAID"), "", True
    ),
    "pajak": BookSpec("pajak", gettext_lazy("Buku pembantu pajak"), (), "TAX_PAYABLE:", False),
}


@dataclass(frozen=True)
class Book:
    spec: BookSpec
    satker: Organisation
    period: date
    opening: int
    rows: list[rules.BookRow]
    closing: int
    total_debit: int
    total_credit: int
    generated_at: datetime


def month_bounds(period: date) -> tuple[datetime, datetime]:
    start = datetime.combine(period, time.min, tzinfo=clock.JAKARTA)
    return start, datetime.combine(rules.next_month(period), time.min, tzinfo=clock.JAKARTA)


def _postings(satker: Organisation, spec: BookSpec) -> QuerySet[Posting]:
    found = Posting.objects.filter(account__owner_id=satker.pk, pending=False)
    if spec.prefix:
        return found.filter(account__code__startswith=spec.prefix)
    return found.filter(account__code__in=spec.codes)


def _signed_total(postings: QuerySet[Posting], *, debit_normal: bool) -> int:
    total = int(postings.aggregate(total=Sum("amount"))["total"] or 0)
    return total if debit_normal else -total


def book(actor: User, satker: Organisation, slug: str, period: date) -> Book:
    """One book of the satker for the month: opening balance (every posted line before the
    month), one row per posted line of the month in order, closing balance."""
    require(actor, "books.view", satker)
    spec = BOOKS.get(slug)
    if spec is None:
        raise NotFound(_("Buku tidak dikenal."))
    start, end = month_bounds(period)
    postings = _postings(satker, spec)
    opening = _signed_total(
        postings.filter(entry__created_at__lt=start), debit_normal=spec.debit_normal
    )
    month = (
        postings.filter(entry__created_at__gte=start, entry__created_at__lt=end)
        .select_related("entry", "account")
        .order_by("entry__created_at", "entry_id", "id")
    )
    month_postings = list(month)
    numbers = document_numbers({(p.entry.source_type, p.entry.source_id) for p in month_postings})
    lines = [
        (
            p.entry.created_at,
            int(p.entry_id),
            numbers.get((p.entry.source_type, p.entry.source_id)) or _reference(p),
            p.entry.memo or p.entry.reason_code,
            p.account.code,
            int(p.amount),
        )
        for p in month_postings
    ]
    rows = rules.running_rows(opening, lines, debit_normal=spec.debit_normal)
    return Book(
        spec=spec,
        satker=satker,
        period=period,
        opening=opening,
        rows=rows,
        closing=rows[-1].balance if rows else opening,
        total_debit=sum(r.debit for r in rows),
        total_credit=sum(r.credit for r in rows),
        generated_at=clock.now(),
    )


# The field that names a source record on paper, in order of preference.
NUMBER_FIELDS = ("number", "sp2d_number", "deposit_reference")


def document_numbers(sources: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The document number of each ledger source (``app.model``, id): an order's, a
    payment's, an SPM's number, an UP allocation's SP2D number… read in one query per model.
    Sources of unknown models or ids that are not row ids are left out."""
    by_model: dict[str, set[int]] = {}
    for source_type, source_id in sources:
        if source_type and source_id.isdigit():
            by_model.setdefault(source_type, set()).add(int(source_id))
    found: dict[tuple[str, str], str] = {}
    for source_type, ids in by_model.items():
        try:
            model = apps.get_model(source_type)
        except (LookupError, ValueError):
            continue
        names = {f.name for f in model._meta.get_fields()}
        field = next((f for f in NUMBER_FIELDS if f in names), None)
        if field is None:
            continue
        for pk, number in model._default_manager.filter(pk__in=ids).values_list("pk", field):
            if number:
                found[(source_type, str(pk))] = str(number)
    return found


def _reference(p: Posting) -> str:
    """The document behind the line: its source record, else the ledger entry."""
    entry = p.entry
    if entry.source_type:
        return f"{entry.source_type}#{entry.source_id}"
    return f"ledger#{entry.pk}"


# --- whose books --------------------------------------------------------------------------------


def book_satkers(actor: User) -> QuerySet[Organisation]:
    """The satkers whose books the actor may read."""
    require(actor, "books.view")
    reachable = account_queries.reachable_organisations(actor, read_only=True)
    return reachable.filter(kind=OrgKind.SATKER).order_by("code")


def satker_for(actor: User, code: str | None, action: str = "books.view") -> Organisation:
    """The actor's own satker, or one an overseer picks by code."""
    require(actor, action)
    reachable = account_queries.reachable_organisations(actor, read_only=True).filter(
        kind=OrgKind.SATKER
    )
    if code:
        found = reachable.filter(code=code).first()
    elif actor.organisation.kind == OrgKind.SATKER:
        found = reachable.filter(pk=actor.organisation_id).first()
    else:
        found = reachable.order_by("code").first()
    if found is None:
        raise NotFound(_("Satker tidak ditemukan."))
    require(actor, action, found)
    return found


def parse_month(raw: str | None) -> date:
    """``YYYY-MM`` → the month's first day; empty or malformed → this month."""
    try:
        year, month = (int(x) for x in (raw or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return rules.month_start(clock.today_jakarta())


# --- cases and LPJs -----------------------------------------------------------------------------


def visible_cases(actor: User) -> QuerySet[ReconciliationCase]:
    """Satker users see their satker's cases, the KPPN (and auditors) those of the satkers
    they oversee; the gate decides which roles may look."""
    require(actor, "reconciliation.view")
    reachable = account_queries.reachable_organisations(actor, read_only=True)
    return ReconciliationCase.objects.filter(
        Q(satker__in=reachable) | Q(owner_org_id=actor.organisation_id)
    ).select_related("satker", "owner", "owner_org")


def open_cases(actor: User) -> QuerySet[ReconciliationCase]:
    return visible_cases(actor).filter(status__in=rules.OPEN_CASE_STATUSES)


def case_for(actor: User, case_id: int) -> ReconciliationCase:
    case = visible_cases(actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("Kasus rekonsiliasi tidak ditemukan."))
    require(actor, "reconciliation.view", case)
    return case


def runs_of(satker: Organisation) -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.filter(satker=satker).order_by("-day")


def lpj_of(actor: User, satker: Organisation, period: date) -> Lpj | None:
    require(actor, "books.view", satker)
    return Lpj.objects.filter(satker=satker, period=period).select_related("submitted_by").first()


def lpjs_of(actor: User, satker: Organisation) -> QuerySet[Lpj]:
    require(actor, "books.view", satker)
    return Lpj.objects.filter(satker=satker).order_by("-period")


# --- the late LPJ that blocks the next SPM ------------------------------------------------------


def overdue_lpj(satker: Organisation, today: date | None = None) -> date | None:
    """The earliest month of the satker whose LPJ is missing past its due date (counted from
    the month of its first UP/TUP recorded in Digipay), or None."""
    first = (
        UpAllocation.objects.filter(satker_id=satker.pk)
        .order_by("recorded_at")
        .values_list("recorded_at", flat=True)
        .first()
    )
    if first is None:
        return None
    submitted = set(Lpj.objects.filter(satker_id=satker.pk).values_list("period", flat=True))
    return rules.overdue_lpj(
        first.astimezone(clock.JAKARTA).date(), submitted, today or clock.today_jakarta()
    )


def spm_check(satker: Organisation) -> str | None:
    """The replenishment hook (``on_spm_check``): a late LPJ blocks the satker's next SPM.
    Returns why, or None when the satker's LPJs are up to date."""
    month = overdue_lpj(satker)
    return rules.lpj_blocks_spm(month) if month is not None else None
