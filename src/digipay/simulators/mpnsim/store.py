"""The MPN simulator's storage: SQLite (a file, or ``:memory:``), one connection behind a lock.

Tables: billings (one row per billing code; the depositor's reference is unique per client,
with a fingerprint of the request so that a replay can be told from a conflict), payments (at
most one per billing; the bank's reference is unique per bank) and counters (NTB numbers).

The store raises the ``Refused`` exceptions below; the app maps them to HTTP answers.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from digipay.simulators.mpnsim import codes
from digipay.snap import values

SCHEMA = """
CREATE TABLE IF NOT EXISTS billings (
    billing_code TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    npwp TEXT NOT NULL,
    nitku TEXT NOT NULL,
    name TEXT NOT NULL,
    tax_account TEXT NOT NULL,
    deposit_type TEXT NOT NULL,
    period_month INTEGER NOT NULL,
    period_year INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    UNIQUE (client_id, reference)
);
CREATE TABLE IF NOT EXISTS payments (
    billing_code TEXT PRIMARY KEY REFERENCES billings (billing_code),
    ntpn TEXT NOT NULL UNIQUE,
    ntb TEXT NOT NULL UNIQUE,
    bank_code TEXT NOT NULL,
    bank_reference TEXT NOT NULL,
    amount INTEGER NOT NULL,
    paid_at REAL NOT NULL,
    UNIQUE (bank_code, bank_reference)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

UNPAID, PAID, EXPIRED = "UNPAID", "PAID", "EXPIRED"
STATUSES = (UNPAID, PAID, EXPIRED)


class Refused(Exception):
    """The MPN declines; nothing was changed."""


class ReferenceConflict(Refused):
    def __init__(self, billing_code: str) -> None:
        super().__init__(f"reference already used for billing {billing_code} with different data")
        self.billing_code = billing_code


class BillingNotFound(Refused):
    def __init__(self) -> None:
        super().__init__("no such billing code")


class AmountMismatch(Refused):
    def __init__(self, expected: int) -> None:
        super().__init__(f"amount must equal the billing amount ({expected})")
        self.expected = expected


class BankReferenceConflict(Refused):
    def __init__(self) -> None:
        super().__init__("bankReference already used by this bank for another billing")


class AlreadyPaid(Refused):
    def __init__(self) -> None:
        super().__init__("billing already paid with another bankReference")


class BillingExpired(Refused):
    def __init__(self) -> None:
        super().__init__("billing code has expired and cannot be paid")


@dataclass(frozen=True, slots=True)
class BillingOrder:
    """A billing request, already validated in form."""

    reference: str
    npwp: str
    nitku: str
    name: str
    tax_account: str
    deposit_type: str
    period_month: int
    period_year: int
    amount: int

    def fingerprint(self) -> str:
        return "|".join(
            (
                self.npwp,
                self.nitku,
                self.name,
                self.tax_account,
                self.deposit_type,
                f"{self.period_year:04d}{self.period_month:02d}",
                str(self.amount),
            )
        )


@dataclass(frozen=True, slots=True)
class Payment:
    ntpn: str
    ntb: str
    bank_code: str
    bank_reference: str
    amount: int
    paid_at: float


@dataclass(frozen=True, slots=True)
class Billing:
    billing_code: str
    client_id: str
    reference: str
    npwp: str
    nitku: str
    name: str
    tax_account: str
    deposit_type: str
    period_month: int
    period_year: int
    amount: int
    created_at: float
    expires_at: float
    payment: Payment | None

    def status(self, now: float) -> str:
        if self.payment is not None:
            return PAID
        return EXPIRED if now >= self.expires_at else UNPAID

    def to_json(self, now: float) -> dict[str, Any]:
        payment = self.payment
        return {
            "billingCode": self.billing_code,
            "status": self.status(now),
            "reference": self.reference,
            "npwp": self.npwp,
            "nitku": self.nitku,
            "name": self.name,
            "taxAccount": self.tax_account,
            "depositType": self.deposit_type,
            "periodMonth": self.period_month,
            "periodYear": self.period_year,
            "amount": self.amount,
            "currency": "IDR",
            "createdAt": iso(self.created_at),
            "expiresAt": iso(self.expires_at),
            "ntpn": payment.ntpn if payment else None,
            "ntb": payment.ntb if payment else None,
            "paidAt": iso(payment.paid_at) if payment else None,
            "bankCode": payment.bank_code if payment else None,
            "bankReference": payment.bank_reference if payment else None,
        }


def iso(epoch: float) -> str:
    return values.format_timestamp(datetime.fromtimestamp(epoch, UTC))


_SELECT = """
SELECT b.*, p.ntpn, p.ntb, p.bank_code, p.bank_reference, p.amount AS paid_amount, p.paid_at
FROM billings b LEFT JOIN payments p ON p.billing_code = b.billing_code
"""


def _billing(row: sqlite3.Row) -> Billing:
    payment = None
    if row["ntpn"] is not None:
        payment = Payment(
            row["ntpn"],
            row["ntb"],
            row["bank_code"],
            row["bank_reference"],
            int(row["paid_amount"]),
            float(row["paid_at"]),
        )
    return Billing(
        billing_code=row["billing_code"],
        client_id=row["client_id"],
        reference=row["reference"],
        npwp=row["npwp"],
        nitku=row["nitku"],
        name=row["name"],
        tax_account=row["tax_account"],
        deposit_type=row["deposit_type"],
        period_month=int(row["period_month"]),
        period_year=int(row["period_year"]),
        amount=int(row["amount"]),
        created_at=float(row["created_at"]),
        expires_at=float(row["expires_at"]),
        payment=payment,
    )


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

    def _one(self, conn: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> Billing | None:
        row = conn.execute(f"{_SELECT} WHERE {where}", args).fetchone()
        return None if row is None else _billing(row)

    # --- billings ------------------------------------------------------------------------------

    def create_billing(
        self, client_id: str, order: BillingOrder, ttl_seconds: int
    ) -> tuple[Billing, bool]:
        """The new billing (True), or the one this reference already made with the same data
        (False). A reference reused with other data raises ReferenceConflict."""
        with self._tx() as conn:
            existing = self._one(
                conn, "b.client_id = ? AND b.reference = ?", (client_id, order.reference)
            )
            if existing is not None:
                row = conn.execute(
                    "SELECT fingerprint FROM billings WHERE billing_code = ?",
                    (existing.billing_code,),
                ).fetchone()
                if row["fingerprint"] != order.fingerprint():
                    raise ReferenceConflict(existing.billing_code)
                return existing, False
            now = self.clock()
            while True:
                code = codes.new_billing_code()
                taken = conn.execute(
                    "SELECT 1 FROM billings WHERE billing_code = ?", (code,)
                ).fetchone()
                if taken is None:
                    break
            conn.execute(
                "INSERT INTO billings (billing_code, client_id, reference, fingerprint, npwp, "
                "nitku, name, tax_account, deposit_type, period_month, period_year, amount, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    client_id,
                    order.reference,
                    order.fingerprint(),
                    order.npwp,
                    order.nitku,
                    order.name,
                    order.tax_account,
                    order.deposit_type,
                    order.period_month,
                    order.period_year,
                    order.amount,
                    now,
                    now + ttl_seconds,
                ),
            )
            created = self._one(conn, "b.billing_code = ?", (code,))
            assert created is not None
            return created, True

    def billing(self, billing_code: str) -> Billing | None:
        with self._lock:
            return self._one(self._conn, "b.billing_code = ?", (billing_code,))

    def billing_by_reference(self, client_id: str, reference: str) -> Billing | None:
        with self._lock:
            return self._one(
                self._conn, "b.client_id = ? AND b.reference = ?", (client_id, reference)
            )

    def billings(self, limit: int = 100, status: str | None = None) -> list[Billing]:
        now = self.clock()
        with self._lock:
            rows = self._conn.execute(
                f"{_SELECT} ORDER BY b.created_at DESC, b.rowid DESC"
            ).fetchall()
        found = [_billing(r) for r in rows]
        if status is not None:
            found = [b for b in found if b.status(now) == status]
        return found[:limit]

    def expire(self, billing_code: str) -> Billing | None:
        """Make an unpaid billing expire now (admin, for demos and tests)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE billings SET expires_at = ? WHERE billing_code = ? "
                "AND billing_code NOT IN (SELECT billing_code FROM payments)",
                (self.clock(), billing_code),
            )
            return self._one(conn, "b.billing_code = ?", (billing_code,))

    def counts(self) -> dict[str, int]:
        now = self.clock()
        result = dict.fromkeys(STATUSES, 0)
        for billing in self.billings(limit=10**9):
            result[billing.status(now)] += 1
        return result

    def reset(self) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM payments")
            conn.execute("DELETE FROM billings")
            conn.execute("DELETE FROM counters")

    # --- payments ------------------------------------------------------------------------------

    def pay(
        self, billing_code: str, amount: int, bank_code: str, bank_reference: str
    ) -> tuple[Billing, bool]:
        """Record the payment of a billing: (billing, True) when recorded now, (billing, False)
        when this bank already reported it with this reference (the same NTPN)."""
        with self._tx() as conn:
            billing = self._one(conn, "b.billing_code = ?", (billing_code,))
            if billing is None:
                raise BillingNotFound
            if amount != billing.amount:
                raise AmountMismatch(billing.amount)
            earlier = conn.execute(
                "SELECT billing_code FROM payments WHERE bank_code = ? AND bank_reference = ?",
                (bank_code, bank_reference),
            ).fetchone()
            if earlier is not None:
                if earlier["billing_code"] != billing_code:
                    raise BankReferenceConflict
                return billing, False
            if billing.payment is not None:
                raise AlreadyPaid
            now = self.clock()
            if now >= billing.expires_at:
                raise BillingExpired
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = value + 1",
                (f"ntb:{bank_code}",),
            )
            sequence = conn.execute(
                "SELECT value FROM counters WHERE name = ?", (f"ntb:{bank_code}",)
            ).fetchone()["value"]
            while True:
                ntpn = codes.new_ntpn()
                if (
                    conn.execute("SELECT 1 FROM payments WHERE ntpn = ?", (ntpn,)).fetchone()
                    is None
                ):
                    break
            conn.execute(
                "INSERT INTO payments (billing_code, ntpn, ntb, bank_code, bank_reference, "
                "amount, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    billing_code,
                    ntpn,
                    codes.ntb(bank_code, int(sequence)),
                    bank_code,
                    bank_reference,
                    amount,
                    now,
                ),
            )
            paid = self._one(conn, "b.billing_code = ?", (billing_code,))
            assert paid is not None
            return paid, True
