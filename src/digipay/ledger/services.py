"""Ledger operations. Each runs in one transaction that locks the balance rows it touches (in
account-id order, so two entries never deadlock on each other), checks the rules, appends the
entry and its postings, and updates the counters.

Idempotency: the caller supplies a key per operation. Replaying the same key with the same
content returns the first entry; the same key with different content is refused. Concurrent
replays meet on the balance-row locks or, failing that, on the key's unique constraint.

Serialization failures and deadlocks are retried a bounded number of times when the operation
owns its transaction; inside a caller's transaction they propagate so the caller retries whole.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _

from digipay.core import clock
from digipay.core.errors import DomainError, NotFound
from digipay.ledger import rules
from digipay.ledger.models import Account, AccountBalance, AccountKind, Entry, Posting
from digipay.ledger.rules import Counters, EntryKind, LedgerRuleError, Leg, Side

MAX_ATTEMPTS = 6
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


class LedgerError(DomainError):
    status = 422
    default_code = "ledger_error"


def _from_rule(exc: LedgerRuleError) -> LedgerError:
    return LedgerError(exc.message, code=exc.code)


def open_account(
    *,
    owner_id: int,
    code: str,
    name: str,
    kind: str,
    normal_side: str,
    must_not_go_negative: bool = False,
) -> Account:
    """The account ``(owner_id, code)``, created with its balance row on first use."""
    account = Account.objects.filter(owner_id=owner_id, code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            account = Account.objects.create(
                owner_id=owner_id,
                code=code,
                name=name,
                kind=kind,
                normal_side=normal_side,
                must_not_go_negative=must_not_go_negative,
            )
            AccountBalance.objects.create(
                account=account,
                normal_side=normal_side,
                must_not_go_negative=must_not_go_negative,
            )
    except IntegrityError:  # opened concurrently
        return Account.objects.get(owner_id=owner_id, code=code)
    return account


def _retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES


def _run(
    key: str,
    digest: str,
    account_ids: set[int],
    write: Callable[[dict[int, AccountBalance]], Entry],
) -> Entry:
    """Lock the balance rows, then look the key up, then write.

    The key is checked *after* the locks: a replay that arrives while the first call is still
    uncommitted waits on the locks and then finds the first entry, instead of re-deciding
    against the new balances (which would wrongly answer "insufficient funds" or "already
    resolved").
    """
    owns_transaction = not connection.in_atomic_block
    for attempt in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                balances = _lock(account_ids)
                existing = Entry.objects.filter(idempotency_key=key).first()
                if existing is not None:
                    return _replay(existing, digest)
                return write(balances)
        except IntegrityError:
            existing = Entry.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return _replay(existing, digest)
            raise
        except OperationalError as exc:
            if not (owns_transaction and _retryable(exc)) or attempt == MAX_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter, not crypto
    raise AssertionError("unreachable")


def _replay(existing: Entry, digest: str) -> Entry:
    if existing.content_hash != digest:
        raise LedgerError(
            _("Kunci idempotensi sudah dipakai untuk transaksi lain."),
            code="idempotency_key_reused",
        )
    return existing


def _lock(account_ids: set[int]) -> dict[int, AccountBalance]:
    rows = list(
        AccountBalance.objects.select_for_update()
        .filter(account_id__in=account_ids)
        .order_by("account_id")
    )
    if len(rows) != len(account_ids):
        raise NotFound(_("Akun buku besar tidak ditemukan."))
    return {row.account_id: row for row in rows}


def _counters(row: AccountBalance) -> Counters:
    return Counters(row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted)


def _apply(
    balances: dict[int, AccountBalance],
    *,
    add_pending: Sequence[Leg] = (),
    release_pending: Sequence[Leg] = (),
    add_posted: Sequence[Leg] = (),
) -> None:
    counters = {account_id: _counters(row) for account_id, row in balances.items()}
    for leg in release_pending:
        counters[leg.account_id].add(leg.amount, pending=True, sign=-1)
    for leg in add_pending:
        counters[leg.account_id].add(leg.amount, pending=True)
    for leg in add_posted:
        counters[leg.account_id].add(leg.amount, pending=False)
    for account_id, c in counters.items():
        row = balances[account_id]
        if row.must_not_go_negative and rules.available(row.normal_side, c) < 0:
            raise LedgerError(
                _("Saldo tersedia tidak mencukupi."),
                code="insufficient_funds",
                details={"account_id": account_id},
            )
    for account_id, c in counters.items():
        row = balances[account_id]
        row.debits_pending, row.debits_posted = c.debits_pending, c.debits_posted
        row.credits_pending, row.credits_posted = c.credits_pending, c.credits_posted
    AccountBalance.objects.bulk_update(
        list(balances.values()),
        ["debits_pending", "debits_posted", "credits_pending", "credits_posted"],
    )


def _insert(
    *,
    key: str,
    digest: str,
    kind: str,
    tenant_id: int,
    reason_code: str,
    legs: Sequence[Leg],
    pending: bool,
    source_type: str = "",
    source_id: str = "",
    memo: str = "",
    resolves: Entry | None = None,
    corrects: Entry | None = None,
) -> Entry:
    entry = Entry.objects.create(
        idempotency_key=key,
        content_hash=digest,
        kind=kind,
        tenant_id=tenant_id,
        reason_code=reason_code,
        source_type=source_type,
        source_id=str(source_id),
        memo=memo,
        resolves=resolves,
        corrects=corrects,
        created_at=clock.now(),
    )
    Posting.objects.bulk_create(
        [
            Posting(entry=entry, account_id=leg.account_id, amount=leg.amount, pending=pending)
            for leg in legs
        ]
    )
    return entry


def _legs_of(entry: Entry) -> list[Leg]:
    return [Leg(p.account_id, p.amount) for p in entry.postings.order_by("id")]


def _new_entry(
    kind: str,
    *,
    key: str,
    tenant_id: int,
    reason_code: str,
    legs: Sequence[Leg],
    source_type: str,
    source_id: str,
    memo: str,
) -> Entry:
    try:
        rules.validate_legs(legs)
    except LedgerRuleError as exc:
        raise _from_rule(exc) from exc
    digest = rules.content_hash(
        kind,
        {
            "tenant": tenant_id,
            "reason": reason_code,
            "legs": rules.legs_payload(legs),
            "source": [source_type, str(source_id)],
        },
    )
    pending = kind == EntryKind.HOLD

    def write(balances: dict[int, AccountBalance]) -> Entry:
        if pending:
            _apply(balances, add_pending=legs)
        else:
            _apply(balances, add_posted=legs)
        return _insert(
            key=key,
            digest=digest,
            kind=kind,
            tenant_id=tenant_id,
            reason_code=reason_code,
            legs=legs,
            pending=pending,
            source_type=source_type,
            source_id=source_id,
            memo=memo,
        )

    return _run(key, digest, {leg.account_id for leg in legs}, write)


def post(
    *,
    key: str,
    tenant_id: int,
    reason_code: str,
    legs: Sequence[Leg],
    source_type: str = "",
    source_id: str = "",
    memo: str = "",
) -> Entry:
    """Post a balanced entry at once."""
    return _new_entry(
        EntryKind.POST,
        key=key,
        tenant_id=tenant_id,
        reason_code=reason_code,
        legs=legs,
        source_type=source_type,
        source_id=source_id,
        memo=memo,
    )


def hold(
    *,
    key: str,
    tenant_id: int,
    reason_code: str,
    legs: Sequence[Leg],
    source_type: str = "",
    source_id: str = "",
    memo: str = "",
) -> Entry:
    """Reserve amounts (pending): they count against availability until posted or voided."""
    return _new_entry(
        EntryKind.HOLD,
        key=key,
        tenant_id=tenant_id,
        reason_code=reason_code,
        legs=legs,
        source_type=source_type,
        source_id=source_id,
        memo=memo,
    )


def _load_hold(hold_id: int) -> Entry:
    entry = Entry.objects.filter(pk=hold_id).first()
    if entry is None or entry.kind != EntryKind.HOLD:
        raise NotFound(_("Hold tidak ditemukan."))
    return entry


def _resolve(
    kind: str,
    *,
    key: str,
    hold_id: int,
    legs: Sequence[Leg] | None,
    amount: int | None,
    memo: str,
) -> Entry:
    held = _load_hold(hold_id)
    held_legs = _legs_of(held)
    posted: list[Leg] = []
    if kind == EntryKind.POST_HOLD:
        try:
            if legs is not None:
                posted = list(legs)
                rules.validate_legs(posted)
            elif amount is not None:
                posted = rules.scale_legs(held_legs, amount)
            else:
                posted = held_legs
            rules.check_within_hold(held_legs, posted)
        except LedgerRuleError as exc:
            raise _from_rule(exc) from exc
    digest = rules.content_hash(kind, {"hold": held.pk, "legs": rules.legs_payload(posted)})

    def write(balances: dict[int, AccountBalance]) -> Entry:
        if Entry.objects.filter(resolves=held).exists():
            raise LedgerError(
                _("Hold ini sudah direalisasikan atau dibatalkan."), code="already_resolved"
            )
        _apply(balances, release_pending=held_legs, add_posted=posted)
        return _insert(
            key=key,
            digest=digest,
            kind=kind,
            tenant_id=held.tenant_id,
            reason_code=held.reason_code,
            legs=posted,
            pending=False,
            source_type=held.source_type,
            source_id=held.source_id,
            memo=memo,
            resolves=held,
        )

    return _run(key, digest, {leg.account_id for leg in held_legs}, write)


def post_hold(
    *,
    key: str,
    hold_id: int,
    amount: int | None = None,
    legs: Sequence[Leg] | None = None,
    memo: str = "",
) -> Entry:
    """Post a hold in full (no ``amount``/``legs``), for a smaller ``amount`` (two-leg holds),
    or as explicit ``legs`` within the held ones. What is not posted is released."""
    return _resolve(
        EntryKind.POST_HOLD, key=key, hold_id=hold_id, legs=legs, amount=amount, memo=memo
    )


def void_hold(*, key: str, hold_id: int, memo: str = "") -> Entry:
    """Release a hold entirely (cancellation, rejection, failed payment)."""
    return _resolve(
        EntryKind.VOID_HOLD, key=key, hold_id=hold_id, legs=None, amount=None, memo=memo
    )


def correct(
    *,
    key: str,
    entry_id: int,
    reason_code: str,
    replacement: Sequence[Leg] = (),
    memo: str = "",
) -> Entry:
    """Fix a posted entry with a new one: its exact reversal, plus the right legs if any."""
    original = Entry.objects.filter(pk=entry_id).first()
    if original is None:
        raise NotFound(_("Entri tidak ditemukan."))
    if original.kind in (EntryKind.HOLD, EntryKind.VOID_HOLD):
        raise LedgerError(_("Hold dibatalkan dengan void, bukan koreksi."), code="not_correctable")
    reversal = [Leg(leg.account_id, -leg.amount) for leg in _legs_of(original)]
    legs = reversal + list(replacement)
    if replacement:
        try:
            rules.validate_legs(list(replacement))
        except LedgerRuleError as exc:
            raise _from_rule(exc) from exc
    digest = rules.content_hash(
        EntryKind.CORRECT,
        {
            "entry": original.pk,
            "reason": reason_code,
            "replacement": rules.legs_payload(replacement),
        },
    )

    def write(balances: dict[int, AccountBalance]) -> Entry:
        if Entry.objects.filter(corrects=original).exists():
            raise LedgerError(_("Entri ini sudah dikoreksi."), code="already_corrected")
        _apply(balances, add_posted=legs)
        return _insert(
            key=key,
            digest=digest,
            kind=EntryKind.CORRECT,
            tenant_id=original.tenant_id,
            reason_code=reason_code,
            legs=legs,
            pending=False,
            source_type=original.source_type,
            source_id=original.source_id,
            memo=memo,
            corrects=original,
        )

    return _run(key, digest, {leg.account_id for leg in legs}, write)


__all__ = [
    "AccountKind",
    "LedgerError",
    "Leg",
    "Side",
    "correct",
    "hold",
    "open_account",
    "post",
    "post_hold",
    "void_hold",
]
