"""The simulator's own storage: SQLite (a file, or ``:memory:``), one connection behind a lock.

Tables: accounts (integer rupiah balances, never negative), entries (one line per booking, the
raw material of statements), tokens, external_ids (per bank, partner and Jakarta day),
transfers (unique partner reference per bank, partner and day), settlements (interbank
movements between the simulated banks) and notifications (a transactional outbox: a credit
and its notification are committed together, then delivered by ``notify.Notifier``), and for
the products of ``products.py``: virtual_accounts and va_payments (a VA payment is also a
transfer row, service 25), cards (configured KKP cards: reference and last 4 digits only) and
card_txns (authorizations, captures, voids).

The store knows nothing of SNAP codes: it raises the ``Refused`` exceptions below and the
service layer maps them to response codes.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from digipay.simulators.banksim.config import AccountConfig, BankConfig, CardConfig
from digipay.snap import signing, values

SCHEMA = """
CREATE TABLE IF NOT EXISTS banks (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    bank_code TEXT NOT NULL,
    account_no TEXT NOT NULL,
    name TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'IDR',
    balance INTEGER NOT NULL CHECK (balance >= 0),
    status TEXT NOT NULL DEFAULT 'ACTIVE',
    type TEXT NOT NULL DEFAULT 'CURRENT',
    notify INTEGER NOT NULL DEFAULT 1,
    seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bank_code, account_no)
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bank_code TEXT NOT NULL,
    account_no TEXT NOT NULL,
    seq INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    reference_no TEXT NOT NULL,
    counterparty_bank TEXT NOT NULL,
    counterparty_account TEXT NOT NULL,
    counterparty_name TEXT NOT NULL,
    description TEXT NOT NULL,
    booked_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_account ON entries (bank_code, account_no, seq);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS external_ids (
    bank_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    day TEXT NOT NULL,
    external_id TEXT NOT NULL,
    service_code TEXT NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (bank_code, client_id, day, external_id)
);
CREATE TABLE IF NOT EXISTS transfers (
    reference_no TEXT PRIMARY KEY,
    bank_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    service_code TEXT NOT NULL,
    day TEXT NOT NULL,
    partner_reference_no TEXT NOT NULL,
    external_id TEXT NOT NULL,
    source_account_no TEXT NOT NULL,
    source_account_name TEXT NOT NULL,
    beneficiary_bank_code TEXT NOT NULL,
    beneficiary_account_no TEXT NOT NULL,
    beneficiary_account_name TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    remark TEXT NOT NULL,
    transaction_date TEXT NOT NULL,
    status TEXT NOT NULL,
    executed_at REAL NOT NULL,
    request TEXT NOT NULL,
    UNIQUE (bank_code, client_id, day, partner_reference_no)
);
CREATE TABLE IF NOT EXISTS settlements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference_no TEXT NOT NULL,
    from_bank TEXT NOT NULL,
    to_bank TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    service_code TEXT NOT NULL,
    settled_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    bank_code TEXT NOT NULL,
    account_no TEXT NOT NULL,
    url TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    deliveries INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (status, next_attempt_at, id);
CREATE TABLE IF NOT EXISTS virtual_accounts (
    bank_code TEXT NOT NULL,
    virtual_account_no TEXT NOT NULL,
    partner_service_id TEXT NOT NULL,
    customer_no TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_account_no TEXT NOT NULL,
    client_id TEXT NOT NULL,
    trx_type TEXT NOT NULL,
    total_amount INTEGER,
    trx_id TEXT NOT NULL,
    expires_at REAL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (bank_code, virtual_account_no)
);
CREATE TABLE IF NOT EXISTS va_payments (
    reference_no TEXT PRIMARY KEY,
    bank_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    payment_request_id TEXT NOT NULL,
    va_bank_code TEXT NOT NULL,
    virtual_account_no TEXT NOT NULL,
    amount INTEGER NOT NULL,
    source_account_no TEXT NOT NULL,
    trx_date_time TEXT NOT NULL,
    paid_at REAL NOT NULL,
    UNIQUE (bank_code, client_id, payment_request_id)
);
CREATE TABLE IF NOT EXISTS cards (
    card_ref TEXT PRIMARY KEY,
    bank_code TEXT NOT NULL,
    last4 TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    credit_limit INTEGER NOT NULL,
    bill_bank_code TEXT NOT NULL,
    bill_account_no TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS card_txns (
    reference_no TEXT PRIMARY KEY,
    card_ref TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    partner_reference_no TEXT NOT NULL,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    captured_amount INTEGER NOT NULL DEFAULT 0,
    merchant_bank_code TEXT NOT NULL,
    merchant_account_no TEXT NOT NULL,
    merchant_name TEXT NOT NULL,
    description TEXT NOT NULL,
    authorized_at REAL NOT NULL,
    captured_at REAL,
    month TEXT NOT NULL DEFAULT '',
    capture_service TEXT NOT NULL DEFAULT '',
    UNIQUE (bank_code, client_id, partner_reference_no)
);
CREATE TABLE IF NOT EXISTS card_settlement_accounts (
    bank_code TEXT PRIMARY KEY,
    account_no TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS card_bill_payments (
    reference_no TEXT PRIMARY KEY,
    card_ref TEXT NOT NULL,
    month TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    received INTEGER NOT NULL CHECK (received > 0),
    paid_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

# The remark of a KKP bill payment: ``KKP <cardRef> <YYYY-MM>``.
CARD_BILL_REMARK = re.compile(r"KKP ([A-Za-z0-9_-]{1,32}) (\d{4})-(0[1-9]|1[0-2])")

PENDING = "PENDING"
DELIVERED = "DELIVERED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"  # no notification URL configured


# --- refusals ----------------------------------------------------------------------------------


class Refused(Exception):
    """The bank declines; nothing was changed."""


class DuplicateReference(Refused):
    def __init__(self, reference_no: str) -> None:
        super().__init__(f"partnerReferenceNo already used today (referenceNo {reference_no})")
        self.reference_no = reference_no


class AccountNotFound(Refused):
    def __init__(self, role: str) -> None:
        super().__init__(f"{role} account not found")
        self.role = role


class AccountInactive(Refused):
    def __init__(self, role: str, status: str) -> None:
        super().__init__(f"{role} account is {status.lower()}")
        self.role = role
        self.status = status


class InsufficientFunds(Refused):
    pass


class NotPermitted(Refused):
    pass


class VaRefused(Refused):
    """A virtual account cannot be created or paid: ``reason`` is exists, not found, paid,
    expired or amount."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"virtual account: {reason}")
        self.reason = reason


class CardRefused(Refused):
    """A card operation is refused: ``reason`` is card, limit, not found, amount or
    ``state <STATUS>``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"card: {reason}")
        self.reason = reason


# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    bank_code: str
    account_no: str
    name: str
    currency: str
    balance: int
    status: str
    type: str
    notify: bool
    seq: int

    def to_json(self) -> dict[str, Any]:
        return {
            "bank": self.bank_code,
            "accountNo": self.account_no,
            "name": self.name,
            "balance": values.format_amount(self.balance),
            "currency": self.currency,
            "status": self.status,
            "type": self.type,
            "notify": self.notify,
            "lastSequenceNo": self.seq,
        }


@dataclass(frozen=True, slots=True)
class Transfer:
    reference_no: str
    bank_code: str
    client_id: str
    service_code: str
    day: str
    partner_reference_no: str
    external_id: str
    source_account_no: str
    source_account_name: str
    beneficiary_bank_code: str
    beneficiary_account_no: str
    beneficiary_account_name: str
    amount: int
    currency: str
    remark: str
    transaction_date: str
    status: str
    executed_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "referenceNo": self.reference_no,
            "bank": self.bank_code,
            "clientId": self.client_id,
            "serviceCode": self.service_code,
            "day": self.day,
            "partnerReferenceNo": self.partner_reference_no,
            "externalId": self.external_id,
            "sourceAccountNo": self.source_account_no,
            "beneficiaryBankCode": self.beneficiary_bank_code,
            "beneficiaryAccountNo": self.beneficiary_account_no,
            "beneficiaryAccountName": self.beneficiary_account_name,
            "amount": values.format_amount(self.amount),
            "currency": self.currency,
            "remark": self.remark,
            "transactionDate": self.transaction_date,
            "status": self.status,
            "executedAt": iso(self.executed_at),
        }


@dataclass(frozen=True, slots=True)
class StatementLine:
    sequence_no: int
    amount: int  # signed: credit > 0, debit < 0
    balance_after: int
    reference_no: str
    counterparty_bank: str
    counterparty_account: str
    counterparty_name: str
    description: str
    booked_at: float
    partner_reference_no: str
    service_code: str


@dataclass(frozen=True, slots=True)
class Statement:
    account: Account
    start: float
    end: float
    opening: int
    closing: int
    lines: list[StatementLine]
    has_more: bool


@dataclass(frozen=True, slots=True)
class TransferOrder:
    """A transfer as the bank received it, already validated in form."""

    bank_code: str
    client_id: str
    service_code: str
    day: str
    partner_reference_no: str
    external_id: str
    source_account_no: str
    beneficiary_bank_code: str
    beneficiary_account_no: str
    beneficiary_account_name: str
    amount: int
    currency: str
    remark: str
    transaction_date: str
    request: str


@dataclass(frozen=True, slots=True)
class VirtualAccount:
    bank_code: str
    virtual_account_no: str
    partner_service_id: str
    customer_no: str
    name: str
    owner_account_no: str
    client_id: str
    trx_type: str  # C: closed (exactly totalAmount, once), O: open (any amount, any times)
    total_amount: int | None
    trx_id: str
    expires_at: float | None
    status: str  # ACTIVE, PAID
    created_at: float


@dataclass(frozen=True, slots=True)
class Card:
    card_ref: str
    bank_code: str
    last4: str
    holder_name: str
    limit: int
    used: int  # held by authorizations + captured − paid through bill payments
    bill_bank_code: str
    bill_account_no: str

    @property
    def available(self) -> int:
        return self.limit - self.used


@dataclass(frozen=True, slots=True)
class CardTxn:
    reference_no: str
    card_ref: str
    bank_code: str
    client_id: str
    partner_reference_no: str
    status: str  # AUTHORIZED, CAPTURED, VOIDED
    amount: int
    captured_amount: int
    merchant_bank_code: str
    merchant_account_no: str
    merchant_name: str
    description: str
    authorized_at: float
    captured_at: float | None


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    event_id: str
    bank_code: str
    account_no: str
    url: str | None
    body: str
    status: str
    attempts: int
    deliveries: int
    next_attempt_at: float
    last_error: str
    created_at: float
    delivered_at: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "eventId": self.event_id,
            "bank": self.bank_code,
            "accountNo": self.account_no,
            "url": self.url,
            "status": self.status,
            "attempts": self.attempts,
            "deliveries": self.deliveries,
            "nextAttemptAt": iso(self.next_attempt_at),
            "lastError": self.last_error,
            "createdAt": iso(self.created_at),
            "deliveredAt": iso(self.delivered_at) if self.delivered_at else None,
            "body": json.loads(self.body),
        }


def iso(epoch: float) -> str:
    return values.format_timestamp(datetime.fromtimestamp(epoch, UTC))


def signed_amount(idr: int) -> str:
    return values.format_amount(idr) if idr >= 0 else "-" + values.format_amount(-idr)


def jakarta_day(epoch: float) -> str:
    """The Jakarta calendar day (YYYYMMDD): the scope of per-day uniqueness."""
    return datetime.fromtimestamp(epoch, UTC).astimezone(values.WIB).strftime("%Y%m%d")


# --- the store ---------------------------------------------------------------------------------


class Store:
    def __init__(self, path: str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _next(self, conn: sqlite3.Connection, name: str) -> int:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = value + 1",
            (name,),
        )
        row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row["value"])

    def next_reference(self, bank_code: str) -> str:
        """A bank reference number: bank code, Jakarta day, running number (digits only)."""
        with self._tx() as conn:
            return self._reference(conn, bank_code)

    def _reference(self, conn: sqlite3.Connection, bank_code: str) -> str:
        return f"{bank_code}{jakarta_day(self.clock())}{self._next(conn, 'reference'):09d}"

    def next_external_id(self) -> str:
        """A numeric X-EXTERNAL-ID for an outgoing notification, unique per day."""
        with self._tx() as conn:
            return f"{jakarta_day(self.clock())}{self._next(conn, 'external_id'):012d}"

    # --- setup -------------------------------------------------------------------------------

    def seed(self, banks: Iterable[BankConfig], accounts: Iterable[AccountConfig]) -> int:
        """Add the configured banks and accounts that are not there yet (balances of existing
        accounts are kept: a file database survives restarts). Returns how many were added."""
        added = 0
        with self._tx() as conn:
            for bank in banks:
                conn.execute(
                    "INSERT OR IGNORE INTO banks (code, name) VALUES (?, ?)", (bank.code, bank.name)
                )
                if bank.card_settlement_account_no:
                    conn.execute(
                        "INSERT INTO card_settlement_accounts (bank_code, account_no) "
                        "VALUES (?, ?) ON CONFLICT (bank_code) DO UPDATE SET "
                        "account_no = excluded.account_no",
                        (bank.code, bank.card_settlement_account_no),
                    )
                else:
                    conn.execute(
                        "DELETE FROM card_settlement_accounts WHERE bank_code = ?", (bank.code,)
                    )
            for a in accounts:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO accounts "
                    "(bank_code, account_no, name, currency, balance, status, type, notify) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        a.bank_code,
                        a.account_no,
                        a.name,
                        a.currency,
                        a.balance,
                        a.status,
                        a.type,
                        int(a.notify),
                    ),
                )
                added += cursor.rowcount
        return added

    # --- tokens ------------------------------------------------------------------------------

    def issue_token(self, client_id: str, bank_code: str, ttl_seconds: int) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._tx() as conn:
            conn.execute("DELETE FROM tokens WHERE expires_at < ?", (now,))
            conn.execute(
                "INSERT INTO tokens (token, client_id, bank_code, expires_at) VALUES (?, ?, ?, ?)",
                (token, client_id, bank_code, now + ttl_seconds),
            )
        return token

    def token_client(self, token: str, bank_code: str) -> str | None:
        """The client the token was issued to at this bank, if it is still valid."""
        with self._lock:
            row = self._conn.execute(
                "SELECT client_id FROM tokens WHERE token = ? AND bank_code = ? AND expires_at > ?",
                (token, bank_code, self.clock()),
            ).fetchone()
        return None if row is None else str(row["client_id"])

    # --- idempotency -------------------------------------------------------------------------

    def claim_external_id(
        self, bank_code: str, client_id: str, external_id: str, service_code: str
    ) -> bool:
        """True the first time this X-EXTERNAL-ID is seen today for this partner at this bank."""
        now = self.clock()
        with self._tx() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO external_ids "
                "(bank_code, client_id, day, external_id, service_code, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (bank_code, client_id, jakarta_day(now), external_id, service_code, now),
            )
            return cursor.rowcount == 1

    # --- accounts ----------------------------------------------------------------------------

    def account(self, bank_code: str, account_no: str) -> Account | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM accounts WHERE bank_code = ? AND account_no = ?",
                (bank_code, account_no),
            ).fetchone()
        return None if row is None else _account(row)

    def accounts(self, bank_code: str | None = None) -> list[Account]:
        with self._lock:
            if bank_code is None:
                rows = self._conn.execute(
                    "SELECT * FROM accounts ORDER BY bank_code, account_no"
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT * FROM accounts WHERE bank_code = ? ORDER BY account_no", (bank_code,)
                ).fetchall()
        return [_account(r) for r in rows]

    def total_balance(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(balance), 0) AS s FROM accounts"
            ).fetchone()
        return int(row["s"])

    def put_account(self, account: AccountConfig) -> Account:
        """Create an account or overwrite its name, balance, status, type and notify flag. A
        changed balance is booked as an adjustment entry, so that statements stay consistent."""
        with self._tx() as conn:
            current = self._account_in(conn, account.bank_code, account.account_no)
            if current is not None and current.balance != account.balance:
                self._book(
                    conn,
                    current,
                    account.balance - current.balance,
                    reference_no=self._reference(conn, account.bank_code),
                    counterparty=("000", "0", "ADMIN"),
                    description="balance set by the simulator's admin",
                    now=self.clock(),
                )
            conn.execute(
                "INSERT INTO accounts "
                "(bank_code, account_no, name, currency, balance, status, type, notify) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (bank_code, account_no) DO UPDATE SET name = excluded.name, "
                "balance = excluded.balance, status = excluded.status, type = excluded.type, "
                "notify = excluded.notify",
                (
                    account.bank_code,
                    account.account_no,
                    account.name,
                    account.currency,
                    account.balance,
                    account.status,
                    account.type,
                    int(account.notify),
                ),
            )
        found = self.account(account.bank_code, account.account_no)
        assert found is not None
        return found

    def entries(self, bank_code: str, account_no: str, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM entries WHERE bank_code = ? AND account_no = ? "
                "ORDER BY seq DESC LIMIT ?",
                (bank_code, account_no, limit),
            ).fetchall()
        return [
            {
                "sequenceNo": r["seq"],
                "amount": values.format_amount(abs(r["amount"])),
                "creditDebitIndicator": "CRDT" if r["amount"] > 0 else "DBIT",
                "balanceAfter": values.format_amount(r["balance_after"]),
                "referenceNo": r["reference_no"],
                "counterpartyBank": r["counterparty_bank"],
                "counterpartyAccountNo": r["counterparty_account"],
                "counterpartyName": r["counterparty_name"],
                "description": r["description"],
                "bookedAt": iso(r["booked_at"]),
            }
            for r in rows
        ]

    def statement(
        self, bank_code: str, account_no: str, start: float, end: float, limit: int
    ) -> Statement | None:
        """Entries booked in [start, end) (at most ``limit``), with the opening and closing
        balances around them. None if the account does not exist."""
        with self._lock:
            account = self._account_in(self._conn, bank_code, account_no)
            if account is None:
                return None
            rows = self._conn.execute(
                "SELECT e.*, COALESCE(t.partner_reference_no, c.partner_reference_no) "
                "AS partner_reference_no, COALESCE(t.service_code, c.capture_service) "
                "AS service_code, t.external_id "
                "FROM entries e LEFT JOIN transfers t ON t.reference_no = e.reference_no "
                "LEFT JOIN card_txns c ON c.reference_no = e.reference_no "
                "WHERE e.bank_code = ? AND e.account_no = ? AND e.booked_at >= ? "
                "AND e.booked_at < ? ORDER BY e.seq LIMIT ?",
                (bank_code, account_no, start, end, limit + 1),
            ).fetchall()
            before = self._conn.execute(
                "SELECT balance_after FROM entries WHERE bank_code = ? AND account_no = ? "
                "AND booked_at < ? ORDER BY seq DESC LIMIT 1",
                (bank_code, account_no, start),
            ).fetchone()
            after = self._conn.execute(
                "SELECT balance_after - amount AS opening FROM entries "
                "WHERE bank_code = ? AND account_no = ? AND booked_at >= ? ORDER BY seq LIMIT 1",
                (bank_code, account_no, end),
            ).fetchone()
        has_more = len(rows) > limit
        lines = [
            StatementLine(
                sequence_no=int(r["seq"]),
                amount=int(r["amount"]),
                balance_after=int(r["balance_after"]),
                reference_no=r["reference_no"],
                counterparty_bank=r["counterparty_bank"],
                counterparty_account=r["counterparty_account"],
                counterparty_name=r["counterparty_name"],
                description=r["description"],
                booked_at=float(r["booked_at"]),
                partner_reference_no=r["partner_reference_no"] or "",
                service_code=r["service_code"] or "",
            )
            for r in rows[:limit]
        ]
        if lines:
            opening = lines[0].balance_after - lines[0].amount
            closing = lines[-1].balance_after
        else:
            if before is not None:
                opening = int(before["balance_after"])
            elif after is not None:
                opening = int(after["opening"])
            else:
                opening = account.balance
            closing = opening
        return Statement(account, start, end, opening, closing, lines, has_more)

    def _book(
        self,
        conn: sqlite3.Connection,
        account: Account,
        amount: int,
        *,
        reference_no: str,
        counterparty: tuple[str, str, str],
        description: str,
        now: float,
    ) -> tuple[int, int]:
        """Move ``amount`` (signed) on the account; returns (sequence number, balance after)."""
        balance = account.balance + amount
        if balance < 0:
            raise InsufficientFunds("insufficient funds")
        seq = account.seq + 1
        conn.execute(
            "UPDATE accounts SET balance = ?, seq = ? "
            "WHERE bank_code = ? AND account_no = ? AND seq = ?",
            (balance, seq, account.bank_code, account.account_no, account.seq),
        )
        conn.execute(
            "INSERT INTO entries (bank_code, account_no, seq, amount, balance_after, reference_no, "
            "counterparty_bank, counterparty_account, counterparty_name, description, booked_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account.bank_code,
                account.account_no,
                seq,
                amount,
                balance,
                reference_no,
                *counterparty,
                description,
                now,
            ),
        )
        return seq, balance

    def _account_in(
        self, conn: sqlite3.Connection, bank_code: str, account_no: str
    ) -> Account | None:
        row = conn.execute(
            "SELECT * FROM accounts WHERE bank_code = ? AND account_no = ?",
            (bank_code, account_no),
        ).fetchone()
        return None if row is None else _account(row)

    # --- transfers ---------------------------------------------------------------------------

    def execute_transfer(
        self,
        order: TransferOrder,
        *,
        force_insufficient: bool,
        notify_url: str | None,
        notify_delay: float,
    ) -> Transfer:
        """Debit, credit, settle between banks, record, and queue the credit notification — all
        in one transaction, or nothing."""
        with self._tx() as conn:
            return self._transfer_in(
                conn,
                order,
                force_insufficient=force_insufficient,
                notify_url=notify_url,
                notify_delay=notify_delay,
            )

    def _transfer_in(
        self,
        conn: sqlite3.Connection,
        order: TransferOrder,
        *,
        force_insufficient: bool,
        notify_url: str | None,
        notify_delay: float,
    ) -> Transfer:
        """The body of ``execute_transfer`` inside the caller's transaction."""
        now = self.clock()
        existing = conn.execute(
            "SELECT reference_no FROM transfers "
            "WHERE bank_code = ? AND client_id = ? AND day = ? AND partner_reference_no = ?",
            (order.bank_code, order.client_id, order.day, order.partner_reference_no),
        ).fetchone()
        if existing is not None:
            raise DuplicateReference(str(existing["reference_no"]))
        source = self._account_in(conn, order.bank_code, order.source_account_no)
        if source is None:
            raise AccountNotFound("source")
        if source.status != "ACTIVE":
            raise AccountInactive("source", source.status)
        target = self._account_in(conn, order.beneficiary_bank_code, order.beneficiary_account_no)
        if target is None:
            raise AccountNotFound("beneficiary")
        if target.status != "ACTIVE":
            raise AccountInactive("beneficiary", target.status)
        if (source.bank_code, source.account_no) == (target.bank_code, target.account_no):
            raise NotPermitted("source and beneficiary are the same account")
        if force_insufficient or source.balance < order.amount:
            raise InsufficientFunds("insufficient funds")
        reference_no = self._reference(conn, order.bank_code)
        description = order.remark or f"SNAP {order.service_code} {order.partner_reference_no}"
        self._book(
            conn,
            source,
            -order.amount,
            reference_no=reference_no,
            counterparty=(target.bank_code, target.account_no, target.name),
            description=description,
            now=now,
        )
        seq, balance = self._book(
            conn,
            target,
            order.amount,
            reference_no=reference_no,
            counterparty=(source.bank_code, source.account_no, source.name),
            description=description,
            now=now,
        )
        if source.bank_code != target.bank_code:
            conn.execute(
                "INSERT INTO settlements "
                "(reference_no, from_bank, to_bank, amount, service_code, settled_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    reference_no,
                    source.bank_code,
                    target.bank_code,
                    order.amount,
                    order.service_code,
                    now,
                ),
            )
        transfer = Transfer(
            reference_no=reference_no,
            bank_code=order.bank_code,
            client_id=order.client_id,
            service_code=order.service_code,
            day=order.day,
            partner_reference_no=order.partner_reference_no,
            external_id=order.external_id,
            source_account_no=source.account_no,
            source_account_name=source.name,
            beneficiary_bank_code=target.bank_code,
            beneficiary_account_no=target.account_no,
            beneficiary_account_name=order.beneficiary_account_name or target.name,
            amount=order.amount,
            currency=order.currency,
            remark=order.remark,
            transaction_date=order.transaction_date,
            status="00",
            executed_at=now,
        )
        conn.execute(
            "INSERT INTO transfers (reference_no, bank_code, client_id, service_code, day, "
            "partner_reference_no, external_id, source_account_no, source_account_name, "
            "beneficiary_bank_code, beneficiary_account_no, beneficiary_account_name, amount, "
            "currency, remark, transaction_date, status, executed_at, request) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                transfer.reference_no,
                transfer.bank_code,
                transfer.client_id,
                transfer.service_code,
                transfer.day,
                transfer.partner_reference_no,
                transfer.external_id,
                transfer.source_account_no,
                transfer.source_account_name,
                transfer.beneficiary_bank_code,
                transfer.beneficiary_account_no,
                transfer.beneficiary_account_name,
                transfer.amount,
                transfer.currency,
                transfer.remark,
                transfer.transaction_date,
                transfer.status,
                transfer.executed_at,
                order.request,
            ),
        )
        self._apply_card_bill_payment_in(conn, transfer, now)
        if target.notify:
            event = credit_event(
                event_id=f"CR{reference_no}",
                account=target,
                sequence_no=seq,
                amount=order.amount,
                balance_after=balance,
                reference_no=reference_no,
                source=(source.bank_code, source.account_no, source.name),
                service_code=order.service_code,
                partner_reference_no=order.partner_reference_no,
                remark=order.remark,
                booked_at=now,
            )
            self._enqueue(conn, event, target, notify_url, now + notify_delay, now)
        return transfer

    def external_credit(
        self,
        bank_code: str,
        account_no: str,
        amount: int,
        *,
        source: tuple[str, str, str],
        remark: str,
        notify_url: str | None,
        notify_delay: float,
    ) -> tuple[str, int]:
        """Money arriving from outside the simulated banks (e.g. an SP2D from the treasury):
        credit the account and queue its notification. Returns (referenceNo, balance after)."""
        now = self.clock()
        with self._tx() as conn:
            target = self._account_in(conn, bank_code, account_no)
            if target is None:
                raise AccountNotFound("beneficiary")
            if target.status != "ACTIVE":
                raise AccountInactive("beneficiary", target.status)
            reference_no = self._reference(conn, bank_code)
            seq, balance = self._book(
                conn,
                target,
                amount,
                reference_no=reference_no,
                counterparty=source,
                description=remark or "incoming credit",
                now=now,
            )
            if target.notify:
                event = credit_event(
                    event_id=f"CR{reference_no}",
                    account=target,
                    sequence_no=seq,
                    amount=amount,
                    balance_after=balance,
                    reference_no=reference_no,
                    source=source,
                    service_code="",
                    partner_reference_no="",
                    remark=remark,
                    booked_at=now,
                )
                self._enqueue(conn, event, target, notify_url, now + notify_delay, now)
        return reference_no, balance

    def find_transfer(
        self,
        bank_code: str,
        client_id: str,
        *,
        reference_no: str | None = None,
        partner_reference_no: str | None = None,
        external_id: str | None = None,
        day: str | None = None,
    ) -> Transfer | None:
        """The partner's transfer at this bank by bank reference, else partner reference (that
        day if given, else the latest), else X-EXTERNAL-ID (latest)."""
        where = ["bank_code = ?", "client_id = ?"]
        args: list[object] = [bank_code, client_id]
        if reference_no:
            where.append("reference_no = ?")
            args.append(reference_no)
        elif partner_reference_no:
            where.append("partner_reference_no = ?")
            args.append(partner_reference_no)
            if day:
                where.append("day = ?")
                args.append(day)
        elif external_id:
            where.append("external_id = ?")
            args.append(external_id)
        else:
            return None
        sql = "SELECT * FROM transfers WHERE " + " AND ".join(where)  # noqa: S608 - fixed clauses
        with self._lock:
            row = self._conn.execute(sql + " ORDER BY executed_at DESC LIMIT 1", args).fetchone()
        return None if row is None else _transfer(row)

    def transfers(self, limit: int = 100) -> list[Transfer]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM transfers ORDER BY executed_at DESC, reference_no DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_transfer(r) for r in rows]

    def settlement(self) -> dict[str, Any]:
        """Gross flows between the simulated banks and each bank's net position."""
        with self._lock:
            pairs = self._conn.execute(
                "SELECT from_bank, to_bank, COUNT(*) AS n, SUM(amount) AS total "
                "FROM settlements GROUP BY from_bank, to_bank ORDER BY from_bank, to_bank"
            ).fetchall()
        net: dict[str, int] = {}
        for p in pairs:
            net[p["from_bank"]] = net.get(p["from_bank"], 0) - int(p["total"])
            net[p["to_bank"]] = net.get(p["to_bank"], 0) + int(p["total"])
        return {
            "flows": [
                {
                    "fromBank": p["from_bank"],
                    "toBank": p["to_bank"],
                    "count": p["n"],
                    "amount": values.format_amount(int(p["total"])),
                }
                for p in pairs
            ],
            "netPositions": {bank: signed_amount(amount) for bank, amount in sorted(net.items())},
        }

    # --- notifications (outbox) --------------------------------------------------------------

    def _enqueue(
        self,
        conn: sqlite3.Connection,
        event: dict[str, Any],
        account: Account | tuple[str, str],
        url: str | None,
        due: float,
        now: float,
    ) -> None:
        """Queue ``event`` for ``account`` (an Account, or (bank code, card ref) for a card
        event); the bank code is the notification's X-PARTNER-ID."""
        bank_code, account_no = (
            account if isinstance(account, tuple) else (account.bank_code, account.account_no)
        )
        conn.execute(
            "INSERT INTO notifications (event_id, bank_code, account_no, url, body, status, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event["notificationId"],
                bank_code,
                account_no,
                url,
                signing.minify(event),
                PENDING if url else SKIPPED,
                due,
                now,
            ),
        )

    def due_notifications(self, limit: int) -> list[Notification]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM notifications WHERE status = ? AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at, id LIMIT ?",
                (PENDING, self.clock(), limit),
            ).fetchall()
        return [_notification(r) for r in rows]

    def notification_delivered(self, notification_id: int, *, extra_deliveries: int = 0) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE notifications SET status = ?, attempts = attempts + 1, "
                "deliveries = deliveries + 1 + ?, delivered_at = ?, last_error = '' WHERE id = ?",
                (DELIVERED, extra_deliveries, self.clock(), notification_id),
            )

    def notification_failed(self, notification_id: int, error: str, retry_at: float | None) -> None:
        """Record a failed attempt; ``retry_at`` None gives up (status FAILED)."""
        with self._tx() as conn:
            if retry_at is None:
                conn.execute(
                    "UPDATE notifications SET status = ?, attempts = attempts + 1, last_error = ? "
                    "WHERE id = ?",
                    (FAILED, error[:500], notification_id),
                )
            else:
                conn.execute(
                    "UPDATE notifications SET attempts = attempts + 1, last_error = ?, "
                    "next_attempt_at = ? WHERE id = ?",
                    (error[:500], retry_at, notification_id),
                )

    def retry_notification(self, notification_id: int, url: str | None) -> bool:
        """Queue a failed, skipped or delivered notification again (admin)."""
        with self._tx() as conn:
            cursor = conn.execute(
                "UPDATE notifications SET status = ?, attempts = 0, next_attempt_at = ?, "
                "url = COALESCE(?, url) WHERE id = ? AND COALESCE(?, url) IS NOT NULL",
                (PENDING, self.clock(), url, notification_id, url),
            )
            return cursor.rowcount == 1

    def notifications(self, limit: int = 100, status: str | None = None) -> list[Notification]:
        with self._lock:
            if status:
                rows = self._conn.execute(
                    "SELECT * FROM notifications WHERE status = ? ORDER BY id DESC LIMIT ?",
                    (status, limit),
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT * FROM notifications ORDER BY id DESC LIMIT ?", (limit,)
                ).fetchall()
        return [_notification(r) for r in rows]

    # --- virtual accounts (services 24-27) ---------------------------------------------------

    def create_virtual_account(self, va: VirtualAccount) -> VirtualAccount:
        """Register a VA on its owner's account (which must exist and be active at that bank)."""
        with self._tx() as conn:
            owner = self._account_in(conn, va.bank_code, va.owner_account_no)
            if owner is None:
                raise AccountNotFound("owner")
            if owner.status != "ACTIVE":
                raise AccountInactive("owner", owner.status)
            cursor = conn.execute(
                "INSERT OR IGNORE INTO virtual_accounts (bank_code, virtual_account_no, "
                "partner_service_id, customer_no, name, owner_account_no, client_id, trx_type, "
                "total_amount, trx_id, expires_at, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    va.bank_code,
                    va.virtual_account_no,
                    va.partner_service_id,
                    va.customer_no,
                    va.name,
                    va.owner_account_no,
                    va.client_id,
                    va.trx_type,
                    va.total_amount,
                    va.trx_id,
                    va.expires_at,
                    va.status,
                    va.created_at,
                ),
            )
            if cursor.rowcount != 1:
                raise VaRefused("exists")
        return va

    def virtual_account(self, bank_code: str, virtual_account_no: str) -> VirtualAccount | None:
        with self._lock:
            return self._va_in(self._conn, bank_code, virtual_account_no)

    def _va_in(
        self, conn: sqlite3.Connection, bank_code: str, virtual_account_no: str
    ) -> VirtualAccount | None:
        row = conn.execute(
            "SELECT * FROM virtual_accounts WHERE bank_code = ? AND virtual_account_no = ?",
            (bank_code, virtual_account_no),
        ).fetchone()
        return None if row is None else _va(row)

    def pay_virtual_account(
        self,
        order: TransferOrder,
        *,
        payment_request_id: str,
        virtual_account_no: str,
        trx_date_time: str,
        force_insufficient: bool,
        notify_url: str | None,
        notify_delay: float,
    ) -> tuple[Transfer, VirtualAccount]:
        """Pay a VA of ``order.beneficiary_bank_code``: debit the payer (at ``order.bank_code``),
        credit the VA owner's account, settle between banks, mark a closed VA paid — one
        transaction. ``order.beneficiary_account_no`` is ignored (the owner's account is used)."""
        now = self.clock()
        with self._tx() as conn:
            existing = conn.execute(
                "SELECT reference_no FROM va_payments "
                "WHERE bank_code = ? AND client_id = ? AND payment_request_id = ?",
                (order.bank_code, order.client_id, payment_request_id),
            ).fetchone()
            if existing is not None:
                raise DuplicateReference(str(existing["reference_no"]))
            va = self._va_in(conn, order.beneficiary_bank_code, virtual_account_no)
            if va is None:
                raise VaRefused("not found")
            if va.status == "PAID":
                raise VaRefused("paid")
            if va.expires_at is not None and now >= va.expires_at:
                raise VaRefused("expired")
            if (
                va.total_amount is not None
                and va.trx_type == "C"
                and va.total_amount != order.amount
            ):
                raise VaRefused("amount")
            owner_order = replace(
                order, beneficiary_account_no=va.owner_account_no, beneficiary_account_name=va.name
            )
            done = self._transfer_in(
                conn,
                owner_order,
                force_insufficient=force_insufficient,
                notify_url=notify_url,
                notify_delay=notify_delay,
            )
            conn.execute(
                "INSERT INTO va_payments (reference_no, bank_code, client_id, payment_request_id, "
                "va_bank_code, virtual_account_no, amount, source_account_no, trx_date_time, "
                "paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    done.reference_no,
                    order.bank_code,
                    order.client_id,
                    payment_request_id,
                    va.bank_code,
                    va.virtual_account_no,
                    order.amount,
                    done.source_account_no,
                    trx_date_time,
                    now,
                ),
            )
            if va.trx_type == "C":
                conn.execute(
                    "UPDATE virtual_accounts SET status = 'PAID' "
                    "WHERE bank_code = ? AND virtual_account_no = ?",
                    (va.bank_code, va.virtual_account_no),
                )
        return done, va

    def va_payment(
        self, bank_code: str, client_id: str, virtual_account_no: str, payment_request_id: str
    ) -> dict[str, Any] | None:
        """A VA payment this partner made through this bank (by paymentRequestId, else the
        latest for that VA number)."""
        sql = (
            "SELECT p.*, t.transaction_date FROM va_payments p "
            "JOIN transfers t ON t.reference_no = p.reference_no "
            "WHERE p.bank_code = ? AND p.client_id = ? AND p.virtual_account_no = ?"
        )
        args: list[object] = [bank_code, client_id, virtual_account_no]
        if payment_request_id:
            sql += " AND p.payment_request_id = ?"
            args.append(payment_request_id)
        with self._lock:
            row = self._conn.execute(sql + " ORDER BY p.paid_at DESC LIMIT 1", args).fetchone()
        return None if row is None else dict(row)

    # --- corporate cards (KKP, services 90-94) -----------------------------------------------

    def seed_cards(self, cards: Iterable[CardConfig]) -> None:
        """Add the configured cards; an existing card gets the configured limit and bill
        account (its transactions are kept)."""
        with self._tx() as conn:
            for c in cards:
                conn.execute(
                    "INSERT INTO cards (card_ref, bank_code, last4, holder_name, credit_limit, "
                    "bill_bank_code, bill_account_no) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (card_ref) DO UPDATE SET credit_limit = excluded.credit_limit, "
                    "bill_bank_code = excluded.bill_bank_code, "
                    "bill_account_no = excluded.bill_account_no",
                    (
                        c.card_ref,
                        c.bank_code,
                        c.last4,
                        c.holder_name,
                        c.limit,
                        c.bill_bank_code,
                        c.bill_account_no,
                    ),
                )

    def card(self, card_ref: str) -> Card | None:
        with self._lock:
            return self._card_in(self._conn, card_ref)

    def _card_in(self, conn: sqlite3.Connection, card_ref: str) -> Card | None:
        row = conn.execute("SELECT * FROM cards WHERE card_ref = ?", (card_ref,)).fetchone()
        if row is None:
            return None
        used = conn.execute(
            "SELECT COALESCE(SUM(CASE status WHEN 'AUTHORIZED' THEN amount "
            "WHEN 'CAPTURED' THEN captured_amount ELSE 0 END), 0) "
            "- (SELECT COALESCE(SUM(amount), 0) FROM card_bill_payments WHERE card_ref = ?) "
            "AS used FROM card_txns WHERE card_ref = ?",
            (card_ref, card_ref),
        ).fetchone()
        return Card(
            card_ref=row["card_ref"],
            bank_code=row["bank_code"],
            last4=row["last4"],
            holder_name=row["holder_name"],
            limit=int(row["credit_limit"]),
            used=int(used["used"]),
            bill_bank_code=row["bill_bank_code"],
            bill_account_no=row["bill_account_no"],
        )

    def card_txn(self, bank_code: str, client_id: str, reference_no: str) -> CardTxn | None:
        with self._lock:
            return self._card_txn_in(self._conn, bank_code, client_id, reference_no)

    def _card_txn_in(
        self, conn: sqlite3.Connection, bank_code: str, client_id: str, reference_no: str
    ) -> CardTxn | None:
        row = conn.execute(
            "SELECT * FROM card_txns WHERE bank_code = ? AND client_id = ? "
            "AND (reference_no = ? OR partner_reference_no = ?)",
            (bank_code, client_id, reference_no, reference_no),
        ).fetchone()
        return None if row is None else _card_txn(row)

    def card_authorize(
        self,
        *,
        bank_code: str,
        client_id: str,
        card_ref: str,
        partner_reference_no: str,
        amount: int,
        merchant: tuple[str, str],
        description: str,
        capture: bool,
        notify_url: str | None,
        notify_delay: float,
        card_events: bool = False,
    ) -> CardTxn:
        """Hold ``amount`` on the card's limit (and with ``capture``, pay the merchant at once).
        With ``card_events``, queue CARD_AUTHORIZED (or, with ``capture``, CARD_CAPTURED)."""
        now = self.clock()
        with self._tx() as conn:
            existing = conn.execute(
                "SELECT reference_no FROM card_txns "
                "WHERE bank_code = ? AND client_id = ? AND partner_reference_no = ?",
                (bank_code, client_id, partner_reference_no),
            ).fetchone()
            if existing is not None:
                raise DuplicateReference(str(existing["reference_no"]))
            card = self._card_in(conn, card_ref)
            if card is None or card.bank_code != bank_code:
                raise CardRefused("card")
            target = self._account_in(conn, *merchant)
            if target is None:
                raise AccountNotFound("merchant")
            if target.status != "ACTIVE":
                raise AccountInactive("merchant", target.status)
            if amount > card.available:
                raise CardRefused("limit")
            reference_no = self._reference(conn, bank_code)
            conn.execute(
                "INSERT INTO card_txns (reference_no, card_ref, bank_code, client_id, "
                "partner_reference_no, status, amount, merchant_bank_code, merchant_account_no, "
                "merchant_name, description, authorized_at) "
                "VALUES (?, ?, ?, ?, ?, 'AUTHORIZED', ?, ?, ?, ?, ?, ?)",
                (
                    reference_no,
                    card_ref,
                    bank_code,
                    client_id,
                    partner_reference_no,
                    amount,
                    target.bank_code,
                    target.account_no,
                    target.name,
                    description,
                    now,
                ),
            )
            txn = self._card_txn_in(conn, bank_code, client_id, reference_no)
            assert txn is not None
            if capture:
                return self._capture_in(
                    conn, txn, amount, "92", notify_url, notify_delay, card_events
                )
            if card_events:
                self._card_event_in(conn, txn, "90", notify_url, now + notify_delay, now)
            return txn

    def card_capture(
        self,
        bank_code: str,
        client_id: str,
        reference_no: str,
        amount: int | None,
        *,
        notify_url: str | None,
        notify_delay: float,
        card_events: bool = False,
    ) -> CardTxn:
        with self._tx() as conn:
            txn = self._card_txn_in(conn, bank_code, client_id, reference_no)
            if txn is None:
                raise CardRefused("not found")
            if txn.status != "AUTHORIZED":
                raise CardRefused(f"state {txn.status}")
            if amount is not None and amount > txn.amount:
                raise CardRefused("amount")
            return self._capture_in(
                conn,
                txn,
                txn.amount if amount is None else amount,
                "91",
                notify_url,
                notify_delay,
                card_events,
            )

    def _capture_in(
        self,
        conn: sqlite3.Connection,
        txn: CardTxn,
        amount: int,
        service_code: str,
        notify_url: str | None,
        notify_delay: float,
        card_events: bool,
    ) -> CardTxn:
        """The issuing bank pays the merchant now (settling between banks if needed); the
        cardholder pays the bank later, through the monthly bill."""
        now = self.clock()
        card = self._card_in(conn, txn.card_ref)
        target = self._account_in(conn, txn.merchant_bank_code, txn.merchant_account_no)
        assert card is not None
        if target is None:
            raise AccountNotFound("merchant")
        if target.status != "ACTIVE":
            raise AccountInactive("merchant", target.status)
        source = (card.bank_code, "KKP", f"KKP *{card.last4} {card.holder_name}"[:100])
        remark = txn.description or f"KKP {txn.partner_reference_no}"
        seq, balance = self._book(
            conn,
            target,
            amount,
            reference_no=txn.reference_no,
            counterparty=source,
            description=remark,
            now=now,
        )
        if card.bank_code != target.bank_code:
            conn.execute(
                "INSERT INTO settlements "
                "(reference_no, from_bank, to_bank, amount, service_code, settled_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (txn.reference_no, card.bank_code, target.bank_code, amount, service_code, now),
            )
        conn.execute(
            "UPDATE card_txns SET status = 'CAPTURED', captured_amount = ?, captured_at = ?, "
            "month = ?, capture_service = ? WHERE reference_no = ?",
            (amount, now, jakarta_day(now)[:6], service_code, txn.reference_no),
        )
        if target.notify:
            event = credit_event(
                event_id=f"CR{txn.reference_no}",
                account=target,
                sequence_no=seq,
                amount=amount,
                balance_after=balance,
                reference_no=txn.reference_no,
                source=source,
                service_code=service_code,
                partner_reference_no=txn.partner_reference_no,
                remark=remark,
                booked_at=now,
            )
            self._enqueue(conn, event, target, notify_url, now + notify_delay, now)
        done = self._card_txn_in(conn, txn.bank_code, txn.client_id, txn.reference_no)
        assert done is not None
        if card_events:
            self._card_event_in(conn, done, service_code, notify_url, now + notify_delay, now)
        return done

    def card_void(
        self,
        bank_code: str,
        client_id: str,
        reference_no: str,
        *,
        notify_url: str | None = None,
        notify_delay: float = 0.0,
        card_events: bool = False,
    ) -> CardTxn:
        now = self.clock()
        with self._tx() as conn:
            txn = self._card_txn_in(conn, bank_code, client_id, reference_no)
            if txn is None:
                raise CardRefused("not found")
            if txn.status != "AUTHORIZED":
                raise CardRefused(f"state {txn.status}")
            conn.execute(
                "UPDATE card_txns SET status = 'VOIDED' WHERE reference_no = ?",
                (txn.reference_no,),
            )
            done = self._card_txn_in(conn, bank_code, client_id, txn.reference_no)
            assert done is not None
            if card_events:
                self._card_event_in(conn, done, "93", notify_url, now + notify_delay, now)
            return done

    def _card_event_in(
        self,
        conn: sqlite3.Connection,
        txn: CardTxn,
        service_code: str,
        url: str | None,
        due: float,
        now: float,
    ) -> None:
        """Queue the card event of ``txn`` (in its new state) in the caller's transaction."""
        card = self._card_in(conn, txn.card_ref)
        assert card is not None
        event = card_event(txn, card, service_code=service_code, at=now)
        self._enqueue(conn, event, (card.bank_code, card.card_ref), url, due, now)

    def card_settlement_account(self, bank_code: str) -> str | None:
        """The issuer's account that receives KKP bill payments, if configured."""
        with self._lock:
            row = self._conn.execute(
                "SELECT account_no FROM card_settlement_accounts WHERE bank_code = ?",
                (bank_code,),
            ).fetchone()
        return None if row is None else str(row["account_no"])

    def card_bill_paid(self, card_ref: str, month: str) -> int:
        """What was transferred to pay a card's bill of a Jakarta month (``YYYYMM``)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(received), 0) AS paid FROM card_bill_payments "
                "WHERE card_ref = ? AND month = ?",
                (card_ref, month),
            ).fetchone()
        return int(row["paid"])

    def _apply_card_bill_payment_in(
        self, conn: sqlite3.Connection, transfer: Transfer, now: float
    ) -> None:
        """A transfer to the issuer's card settlement account whose remark quotes a card and a
        month (``KKP <cardRef> <YYYY-MM>``) pays that card's bill: the card's used amount goes
        down by what was paid, never below what is still authorized (an overpayment is kept
        by the bank, not turned into extra limit). Any other credit to the account is just a
        credit."""
        row = conn.execute(
            "SELECT account_no FROM card_settlement_accounts WHERE bank_code = ?",
            (transfer.beneficiary_bank_code,),
        ).fetchone()
        if row is None or row["account_no"] != transfer.beneficiary_account_no:
            return
        quoted = CARD_BILL_REMARK.fullmatch((transfer.remark or "").strip())
        if quoted is None:
            return
        card = self._card_in(conn, quoted.group(1))
        if card is None or card.bank_code != transfer.beneficiary_bank_code:
            return
        billed = conn.execute(
            "SELECT COALESCE(SUM(captured_amount), 0) AS billed FROM card_txns "
            "WHERE card_ref = ? AND status = 'CAPTURED'",
            (card.card_ref,),
        ).fetchone()
        paid = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) AS paid FROM card_bill_payments WHERE card_ref = ?",
            (card.card_ref,),
        ).fetchone()
        applied = max(0, min(transfer.amount, int(billed["billed"]) - int(paid["paid"])))
        conn.execute(
            "INSERT INTO card_bill_payments (reference_no, card_ref, month, amount, received, "
            "paid_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                transfer.reference_no,
                card.card_ref,
                quoted.group(2) + quoted.group(3),
                applied,
                transfer.amount,
                now,
            ),
        )

    def card_charges(self, card_ref: str, month: str) -> list[CardTxn]:
        """The captured charges of a card in a Jakarta month (``YYYYMM``), oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM card_txns WHERE card_ref = ? AND status = 'CAPTURED' "
                "AND month = ? ORDER BY captured_at, reference_no",
                (card_ref, month),
            ).fetchall()
        return [_card_txn(r) for r in rows]


def credit_event(
    *,
    event_id: str,
    account: Account,
    sequence_no: int,
    amount: int,
    balance_after: int,
    reference_no: str,
    source: tuple[str, str, str],
    service_code: str,
    partner_reference_no: str,
    remark: str,
    booked_at: float,
) -> dict[str, Any]:
    """The body of an incoming-credit notification (docs/banksim.md, "Notifications")."""
    return {
        "notificationId": event_id,
        "eventType": "CREDIT",
        "bankCode": account.bank_code,
        "accountNo": account.account_no,
        "accountName": account.name,
        "sequenceNo": sequence_no,
        "amount": {"value": values.format_amount(amount), "currency": account.currency},
        "balance": {"value": values.format_amount(balance_after), "currency": account.currency},
        "referenceNo": reference_no,
        "serviceCode": service_code,
        "partnerReferenceNo": partner_reference_no,
        "sourceBankCode": source[0],
        "sourceAccountNo": source[1],
        "sourceAccountName": source[2],
        "remark": remark,
        "transactionDate": iso(booked_at),
    }


CARD_EVENTS = {
    "AUTHORIZED": ("CA", "CARD_AUTHORIZED"),
    "CAPTURED": ("CC", "CARD_CAPTURED"),
    "VOIDED": ("CV", "CARD_VOIDED"),
}


def card_event(txn: CardTxn, card: Card, *, service_code: str, at: float) -> dict[str, Any]:
    """The body of a card-event notification (docs/banksim.md, "Notifications"): never a card
    number, only ``cardRef`` and the masked number. ``amount`` is the authorized amount (the
    captured amount for CARD_CAPTURED, the released amount for CARD_VOIDED)."""
    prefix, event_type = CARD_EVENTS[txn.status]
    amount = txn.captured_amount if txn.status == "CAPTURED" else txn.amount
    return {
        "notificationId": f"{prefix}{txn.reference_no}",
        "eventType": event_type,
        "bankCode": card.bank_code,
        "cardRef": card.card_ref,
        "maskedCardNo": "************" + card.last4,
        "referenceNo": txn.reference_no,
        "serviceCode": service_code,
        "partnerReferenceNo": txn.partner_reference_no,
        "amount": {"value": values.format_amount(amount), "currency": "IDR"},
        "availableLimit": {"value": values.format_amount(card.available), "currency": "IDR"},
        "merchantBankCode": txn.merchant_bank_code,
        "merchantAccountNo": txn.merchant_account_no,
        "merchantName": txn.merchant_name,
        "transactionDate": iso(at),
    }


def _account(row: sqlite3.Row) -> Account:
    return Account(
        bank_code=row["bank_code"],
        account_no=row["account_no"],
        name=row["name"],
        currency=row["currency"],
        balance=int(row["balance"]),
        status=row["status"],
        type=row["type"],
        notify=bool(row["notify"]),
        seq=int(row["seq"]),
    )


def _transfer(row: sqlite3.Row) -> Transfer:
    return Transfer(
        reference_no=row["reference_no"],
        bank_code=row["bank_code"],
        client_id=row["client_id"],
        service_code=row["service_code"],
        day=row["day"],
        partner_reference_no=row["partner_reference_no"],
        external_id=row["external_id"],
        source_account_no=row["source_account_no"],
        source_account_name=row["source_account_name"],
        beneficiary_bank_code=row["beneficiary_bank_code"],
        beneficiary_account_no=row["beneficiary_account_no"],
        beneficiary_account_name=row["beneficiary_account_name"],
        amount=int(row["amount"]),
        currency=row["currency"],
        remark=row["remark"],
        transaction_date=row["transaction_date"],
        status=row["status"],
        executed_at=float(row["executed_at"]),
    )


def _notification(row: sqlite3.Row) -> Notification:
    return Notification(
        id=int(row["id"]),
        event_id=row["event_id"],
        bank_code=row["bank_code"],
        account_no=row["account_no"],
        url=row["url"],
        body=row["body"],
        status=row["status"],
        attempts=int(row["attempts"]),
        deliveries=int(row["deliveries"]),
        next_attempt_at=float(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=float(row["created_at"]),
        delivered_at=None if row["delivered_at"] is None else float(row["delivered_at"]),
    )


def _va(row: sqlite3.Row) -> VirtualAccount:
    total = row["total_amount"]
    expires = row["expires_at"]
    return VirtualAccount(
        bank_code=row["bank_code"],
        virtual_account_no=row["virtual_account_no"],
        partner_service_id=row["partner_service_id"],
        customer_no=row["customer_no"],
        name=row["name"],
        owner_account_no=row["owner_account_no"],
        client_id=row["client_id"],
        trx_type=row["trx_type"],
        total_amount=None if total is None else int(total),
        trx_id=row["trx_id"],
        expires_at=None if expires is None else float(expires),
        status=row["status"],
        created_at=float(row["created_at"]),
    )


def _card_txn(row: sqlite3.Row) -> CardTxn:
    captured = row["captured_at"]
    return CardTxn(
        reference_no=row["reference_no"],
        card_ref=row["card_ref"],
        bank_code=row["bank_code"],
        client_id=row["client_id"],
        partner_reference_no=row["partner_reference_no"],
        status=row["status"],
        amount=int(row["amount"]),
        captured_amount=int(row["captured_amount"]),
        merchant_bank_code=row["merchant_bank_code"],
        merchant_account_no=row["merchant_account_no"],
        merchant_name=row["merchant_name"],
        description=row["description"],
        authorized_at=float(row["authorized_at"]),
        captured_at=None if captured is None else float(captured),
    )
