"""Reads: balances, entries with their postings, and ``validate_ledger`` — every invariant
recomputed from the postings themselves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, Sum

from digipay.ledger import rules
from digipay.ledger.models import Account, AccountBalance, Entry, Posting
from digipay.ledger.rules import Counters, EntryKind, LedgerRuleError, Leg


@dataclass(frozen=True, slots=True)
class Balance:
    account_id: int
    code: str
    name: str
    posted: int
    held: int
    available: int


def balance_of(account: Account) -> Balance:
    row = AccountBalance.objects.get(account=account)
    c = Counters(row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted)
    return Balance(
        account.pk,
        account.code,
        account.name,
        rules.posted_balance(row.normal_side, c),
        rules.held_amount(row.normal_side, c),
        rules.available(row.normal_side, c),
    )


def balances_of_owner(owner_id: int, *, prefix: str = "") -> list[Balance]:
    accounts = (
        Account.objects.filter(owner_id=owner_id, code__startswith=prefix)
        .select_related("balance")
        .order_by("code")
    )
    result = []
    for account in accounts:
        row = account.balance
        c = Counters(row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted)
        result.append(
            Balance(
                account.pk,
                account.code,
                account.name,
                rules.posted_balance(row.normal_side, c),
                rules.held_amount(row.normal_side, c),
                rules.available(row.normal_side, c),
            )
        )
    return result


def account_by_code(owner_id: int, code: str) -> Account | None:
    return Account.objects.filter(owner_id=owner_id, code=code).first()


def entries_of(tenant_ids: Iterable[int] | None) -> QuerySet[Entry]:
    qs = Entry.objects.all()
    if tenant_ids is not None:
        qs = qs.filter(tenant_id__in=list(tenant_ids))
    return qs.select_related("resolution", "correction").order_by("-created_at", "-id")


def entry_with_postings(entry_id: int) -> Entry | None:
    return (
        Entry.objects.filter(pk=entry_id)
        .select_related("resolves", "corrects")
        .prefetch_related(
            Prefetch("postings", queryset=Posting.objects.select_related("account").order_by("id"))
        )
        .first()
    )


def pending_holds(tenant_id: int) -> QuerySet[Entry]:
    return Entry.objects.filter(tenant_id=tenant_id, kind=EntryKind.HOLD, resolution__isnull=True)


@dataclass(frozen=True, slots=True)
class Problem:
    check: str
    detail: str


def validate_ledger() -> list[Problem]:
    """Every invariant of the ledger, checked from the rows; an empty list means all is well."""
    problems: list[Problem] = []

    sums = Posting.objects.values("entry_id").annotate(total=Sum("amount")).exclude(total=0)
    for summed in sums:
        problems.append(
            Problem("balanced", f"entry {summed['entry_id']} sums to {summed['total']}")
        )

    for entry in Entry.objects.filter(kind=EntryKind.HOLD, postings__pending=False).distinct():
        problems.append(Problem("pending_flags", f"hold {entry.pk} has a posted line"))
    for entry in (
        Entry.objects.exclude(kind=EntryKind.HOLD).filter(postings__pending=True).distinct()
    ):
        problems.append(Problem("pending_flags", f"entry {entry.pk} has a pending line"))
    for entry in Entry.objects.filter(resolves__isnull=False).exclude(
        resolves__kind=EntryKind.HOLD
    ):
        problems.append(Problem("resolve_once", f"entry {entry.pk} resolves a non-hold"))
    for entry in Entry.objects.filter(
        kind__in=[EntryKind.POST_HOLD, EntryKind.VOID_HOLD], resolves__isnull=True
    ):
        problems.append(Problem("resolve_once", f"entry {entry.pk} resolves nothing"))

    legs_by_entry: dict[int, list[Leg]] = defaultdict(list)
    for entry_id, account_id, amount in Posting.objects.values_list(
        "entry_id", "account_id", "amount"
    ):
        legs_by_entry[entry_id].append(Leg(account_id, amount))
    for entry_id, hold_id in Entry.objects.filter(kind=EntryKind.POST_HOLD).values_list(
        "id", "resolves_id"
    ):
        try:
            rules.check_within_hold(legs_by_entry[hold_id], legs_by_entry[entry_id])
        except LedgerRuleError as exc:
            problems.append(Problem("within_hold", f"entry {entry_id}: {exc.code}"))
    for entry in Entry.objects.filter(kind=EntryKind.VOID_HOLD):
        if legs_by_entry.get(entry.pk):
            problems.append(Problem("within_hold", f"void {entry.pk} posts amounts"))

    # Recompute every account's counters from the postings; compare with the balance rows.
    resolved = set(
        Entry.objects.filter(resolves__isnull=False).values_list("resolves_id", flat=True)
    )
    recomputed: dict[int, Counters] = defaultdict(Counters)
    for entry_id, account_id, amount, pending in Posting.objects.values_list(
        "entry_id", "account_id", "amount", "pending"
    ):
        if pending and entry_id in resolved:
            continue
        recomputed[account_id].add(amount, pending=pending)
    for row in AccountBalance.objects.all():
        c = recomputed.get(row.account_id, Counters())
        stored = Counters(
            row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted
        )
        if c != stored:
            problems.append(
                Problem("balances", f"account {row.account_id}: rows {c}, stored {stored}")
            )
        if row.must_not_go_negative and rules.available(row.normal_side, c) < 0:
            problems.append(Problem("non_negative", f"account {row.account_id} is below zero"))
    accounts_without_row = Account.objects.filter(balance__isnull=True).values_list("id", flat=True)
    for account_id in accounts_without_row:
        problems.append(Problem("balances", f"account {account_id} has no balance row"))
    return problems


def total_of_all_postings() -> int:
    """Money is conserved: every entry balances, so all postings together sum to zero."""
    return int(Posting.objects.aggregate(total=Sum("amount"))["total"] or 0)


def entries_for_source(source_type: str, source_id: str) -> QuerySet[Entry]:
    return Entry.objects.filter(source_type=source_type, source_id=source_id)


def postings_of_account(account: Account) -> QuerySet[Posting]:
    return Posting.objects.filter(account=account).select_related("entry").order_by("-entry_id")
