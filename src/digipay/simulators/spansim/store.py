"""The SPAN simulator's storage: SQLite (a file, or ``:memory:``), one connection behind a lock.

Tables: spms (one row per SPM; the SPM number is unique per client and satker, with a
fingerprint of the request so that a replay can be told from a conflict; the SP2D and the
state of its credit to the treasurer's account live on the same row), invoices (the paid
invoices an SPM lists) and counters (SPM ids, SP2D numbers per KPPN and year).

The store raises the ``Refused`` exceptions below; the app maps them to HTTP answers.
"""

from __future__ import annotations

import calendar
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from digipay.snap import values

SCHEMA = """
CREATE TABLE IF NOT EXISTS spms (
    spm_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    satker_code TEXT NOT NULL,
    kppn_code TEXT NOT NULL,
    spm_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    spm_date TEXT NOT NULL,
    fiscal_year INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    bank_code TEXT NOT NULL,
    account_no TEXT NOT NULL,
    account_name TEXT NOT NULL,
    ppspm_signature TEXT NOT NULL,
    tup_sp2d_number TEXT,
    status TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    decided_by TEXT,
    decided_at REAL,
    rejection_reason TEXT,
    sp2d_number TEXT UNIQUE,
    sp2d_date TEXT,
    tup_due_date TEXT,
    tup_accounted_by TEXT,
    tup_accounted_at REAL,
    credit_status TEXT,
    credit_reference TEXT,
    credited_at REAL,
    credit_attempts INTEGER NOT NULL DEFAULT 0,
    credit_attempt_days TEXT NOT NULL DEFAULT '',
    credit_last_error TEXT,
    credit_next_at REAL,
    UNIQUE (client_id, satker_code, spm_number)
);
CREATE INDEX IF NOT EXISTS spms_queue ON spms (kppn_code, status, submitted_at);
CREATE TABLE IF NOT EXISTS invoices (
    spm_id TEXT NOT NULL REFERENCES spms (spm_id),
    position INTEGER NOT NULL,
    number TEXT NOT NULL,
    vendor_name TEXT NOT NULL,
    npwp TEXT NOT NULL,
    akun TEXT NOT NULL,
    gross INTEGER NOT NULL,
    taxes TEXT NOT NULL,
    net INTEGER NOT NULL,
    PRIMARY KEY (spm_id, position)
);
CREATE INDEX IF NOT EXISTS invoices_number ON invoices (number);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

GUP, GUP_KKP, TUP, PTUP = "GUP", "GUP_KKP", "TUP", "PTUP"
KINDS = (GUP, GUP_KKP, TUP, PTUP)
SUBMITTED, APPROVED, REJECTED = "SUBMITTED", "APPROVED", "REJECTED"
STATUSES = (SUBMITTED, APPROVED, REJECTED)
# The credit of an approved SP2D to the treasurer's account. NONE: an SP2D without money
# (PTUP accounts for a TUP already paid). FAILED: the bank refused (no such account, or
# inactive); an admin retry sends it again once the account is fixed.
PENDING, CREDITED, FAILED, NONE = "PENDING", "CREDITED", "FAILED", "NONE"
CREDIT_STATUSES = (PENDING, CREDITED, FAILED, NONE)
# The SP2D number's kind digit (the simulator's own choice).
KIND_DIGITS = {GUP: "2", TUP: "3", PTUP: "4", GUP_KKP: "5"}


class Refused(Exception):
    """SPAN declines; nothing was changed."""


class SpmConflict(Refused):
    def __init__(self, spm_id: str) -> None:
        super().__init__(f"SPM number already used for {spm_id} with different data")
        self.spm_id = spm_id


class SpmNotFound(Refused):
    def __init__(self) -> None:
        super().__init__("no such SPM")


class WrongKppn(Refused):
    def __init__(self, kppn_code: str) -> None:
        super().__init__(f"the SPM is for KPPN {kppn_code}")
        self.kppn_code = kppn_code


class InvalidState(Refused):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action} an SPM that is {status}")
        self.status = status


class InvoiceAlreadyClaimed(Refused):
    def __init__(self, number: str, spm_id: str) -> None:
        super().__init__(f"invoice {number} is already listed in SPM {spm_id}")
        self.number = number
        self.spm_id = spm_id


class TupNotFound(Refused):
    def __init__(self) -> None:
        super().__init__("no approved TUP of this satker with this SP2D number")


class TupAlreadyAccounted(Refused):
    def __init__(self, spm_id: str) -> None:
        super().__init__(f"this TUP is already accounted for by SPM {spm_id}")
        self.spm_id = spm_id


class PtupExceedsTup(Refused):
    def __init__(self, tup_amount: int) -> None:
        super().__init__(f"a PTUP cannot account for more than its TUP ({tup_amount})")
        self.tup_amount = tup_amount


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    vendor_name: str
    npwp: str
    akun: str
    gross: int
    taxes: tuple[tuple[str, int], ...]  # (tax account code, amount), sorted by code
    net: int

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "vendorName": self.vendor_name,
            "npwp": self.npwp,
            "akun": self.akun,
            "gross": self.gross,
            "taxes": dict(self.taxes),
            "net": self.net,
        }


@dataclass(frozen=True, slots=True)
class SpmOrder:
    """A submitted SPM, already validated in form."""

    kind: str
    satker_code: str
    kppn_code: str
    spm_number: str
    spm_date: date
    fiscal_year: int
    amount: int
    bank_code: str
    account_no: str
    account_name: str
    ppspm_signature: str
    invoices: tuple[Invoice, ...]
    tup_sp2d_number: str | None = None

    def fingerprint(self) -> str:
        data = {
            "kind": self.kind,
            "kppn": self.kppn_code,
            "date": self.spm_date.isoformat(),
            "year": self.fiscal_year,
            "amount": self.amount,
            "account": [self.bank_code, self.account_no, self.account_name],
            "signature": self.ppspm_signature,
            "tup": self.tup_sp2d_number,
            "invoices": [i.to_json() for i in self.invoices],
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Spm:
    spm_id: str
    client_id: str
    kind: str
    status: str
    satker_code: str
    kppn_code: str
    spm_number: str
    spm_date: str
    fiscal_year: int
    amount: int
    bank_code: str
    account_no: str
    account_name: str
    ppspm_signature: str
    tup_sp2d_number: str | None
    invoices: tuple[Invoice, ...]
    submitted_at: float
    decided_by: str | None
    decided_at: float | None
    rejection_reason: str | None
    sp2d_number: str | None
    sp2d_date: str | None
    tup_due_date: str | None
    tup_accounted_by: str | None
    tup_accounted_at: float | None
    credit_status: str | None
    credit_reference: str | None
    credited_at: float | None
    credit_attempts: int
    credit_attempt_days: tuple[str, ...]
    credit_last_error: str | None
    credit_next_at: float | None

    @property
    def credit_remark(self) -> str:
        """What the treasurer's bank statement shows: how a credit is found again."""
        return f"SP2D {self.sp2d_number}"

    def to_json(self, today: date) -> dict[str, Any]:
        credit = None
        if self.credit_status is not None:
            credit = {
                "status": self.credit_status,
                "remark": self.credit_remark if self.credit_status != NONE else None,
                "bankReference": self.credit_reference,
                "creditedAt": iso(self.credited_at) if self.credited_at else None,
                "attempts": self.credit_attempts,
                "lastError": self.credit_last_error,
                "nextAttemptAt": (
                    iso(self.credit_next_at)
                    if self.credit_next_at and self.credit_status == PENDING
                    else None
                ),
            }
        tup = None
        if self.kind == TUP and self.tup_due_date is not None:
            tup = {
                "dueDate": self.tup_due_date,
                "accountedBySp2dNumber": self.tup_accounted_by,
                "accountedAt": iso(self.tup_accounted_at) if self.tup_accounted_at else None,
                "overdue": self.tup_accounted_by is None
                and today > date.fromisoformat(self.tup_due_date),
            }
        return {
            "spmId": self.spm_id,
            "kind": self.kind,
            "status": self.status,
            "satkerCode": self.satker_code,
            "kppnCode": self.kppn_code,
            "spmNumber": self.spm_number,
            "spmDate": self.spm_date,
            "fiscalYear": self.fiscal_year,
            "amount": self.amount,
            "currency": "IDR",
            "beneficiary": {
                "bankCode": self.bank_code,
                "accountNo": self.account_no,
                "accountName": self.account_name,
            },
            "ppspmSignature": self.ppspm_signature,
            "tupSp2dNumber": self.tup_sp2d_number,
            "invoices": [i.to_json() for i in self.invoices],
            "taxTotal": sum(amount for i in self.invoices for _, amount in i.taxes),
            "submittedAt": iso(self.submitted_at),
            "decidedBy": self.decided_by,
            "decidedAt": iso(self.decided_at) if self.decided_at else None,
            "rejectionReason": self.rejection_reason,
            "sp2dNumber": self.sp2d_number,
            "sp2dDate": self.sp2d_date,
            "credit": credit,
            "tup": tup,
        }


def iso(epoch: float) -> str:
    return values.format_timestamp(datetime.fromtimestamp(epoch, UTC))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 January + 1 → 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _invoice(row: sqlite3.Row) -> Invoice:
    taxes = json.loads(row["taxes"])
    return Invoice(
        number=row["number"],
        vendor_name=row["vendor_name"],
        npwp=row["npwp"],
        akun=row["akun"],
        gross=int(row["gross"]),
        taxes=tuple(sorted((str(k), int(v)) for k, v in taxes.items())),
        net=int(row["net"]),
    )


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _spm(row: sqlite3.Row, invoices: tuple[Invoice, ...]) -> Spm:
    days = row["credit_attempt_days"]
    return Spm(
        spm_id=row["spm_id"],
        client_id=row["client_id"],
        kind=row["kind"],
        status=row["status"],
        satker_code=row["satker_code"],
        kppn_code=row["kppn_code"],
        spm_number=row["spm_number"],
        spm_date=row["spm_date"],
        fiscal_year=int(row["fiscal_year"]),
        amount=int(row["amount"]),
        bank_code=row["bank_code"],
        account_no=row["account_no"],
        account_name=row["account_name"],
        ppspm_signature=row["ppspm_signature"],
        tup_sp2d_number=row["tup_sp2d_number"],
        invoices=invoices,
        submitted_at=float(row["submitted_at"]),
        decided_by=row["decided_by"],
        decided_at=_opt_float(row["decided_at"]),
        rejection_reason=row["rejection_reason"],
        sp2d_number=row["sp2d_number"],
        sp2d_date=row["sp2d_date"],
        tup_due_date=row["tup_due_date"],
        tup_accounted_by=row["tup_accounted_by"],
        tup_accounted_at=_opt_float(row["tup_accounted_at"]),
        credit_status=row["credit_status"],
        credit_reference=row["credit_reference"],
        credited_at=_opt_float(row["credited_at"]),
        credit_attempts=int(row["credit_attempts"]),
        credit_attempt_days=tuple(days.split(",")) if days else (),
        credit_last_error=row["credit_last_error"],
        credit_next_at=_opt_float(row["credit_next_at"]),
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

    def _many(self, conn: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[Spm]:
        rows = conn.execute(f"SELECT * FROM spms WHERE {where}", args).fetchall()  # noqa: S608
        if not rows:
            return []
        ids = [r["spm_id"] for r in rows]
        marks = ",".join("?" * len(ids))
        invoices: dict[str, list[Invoice]] = {i: [] for i in ids}
        for row in conn.execute(
            f"SELECT * FROM invoices WHERE spm_id IN ({marks}) ORDER BY spm_id, position",  # noqa: S608
            ids,
        ):
            invoices[row["spm_id"]].append(_invoice(row))
        return [_spm(r, tuple(invoices[r["spm_id"]])) for r in rows]

    def _one(self, conn: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> Spm | None:
        found = self._many(conn, where, args)
        return found[0] if found else None

    def _next(self, conn: sqlite3.Connection, name: str) -> int:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = value + 1",
            (name,),
        )
        return int(conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0])

    # --- submission ----------------------------------------------------------------------------

    def submit(self, client_id: str, order: SpmOrder) -> tuple[Spm, bool]:
        """The new SPM (True), or the one this number already made with the same data (False).
        A number reused with other data raises SpmConflict; the cross-SPM checks (invoices
        listed twice, the TUP a PTUP accounts for) raise their own refusals."""
        with self._tx() as conn:
            existing = self._one(
                conn,
                "client_id = ? AND satker_code = ? AND spm_number = ?",
                (client_id, order.satker_code, order.spm_number),
            )
            if existing is not None:
                row = conn.execute(
                    "SELECT fingerprint FROM spms WHERE spm_id = ?", (existing.spm_id,)
                ).fetchone()
                if row["fingerprint"] != order.fingerprint():
                    raise SpmConflict(existing.spm_id)
                return existing, False
            for invoice in order.invoices:
                claimed = conn.execute(
                    "SELECT s.spm_id FROM invoices i JOIN spms s ON s.spm_id = i.spm_id "
                    "WHERE i.number = ? AND s.client_id = ? AND s.satker_code = ? "
                    "AND s.status != ? LIMIT 1",
                    (invoice.number, client_id, order.satker_code, REJECTED),
                ).fetchone()
                if claimed is not None:
                    raise InvoiceAlreadyClaimed(invoice.number, claimed["spm_id"])
            if order.kind == PTUP:
                self._check_tup(conn, client_id, order)
            now = self.clock()
            spm_id = f"SPM-{self._next(conn, 'spm'):08d}"
            conn.execute(
                "INSERT INTO spms (spm_id, client_id, satker_code, kppn_code, spm_number, kind, "
                "fingerprint, spm_date, fiscal_year, amount, bank_code, account_no, "
                "account_name, ppspm_signature, tup_sp2d_number, status, submitted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spm_id,
                    client_id,
                    order.satker_code,
                    order.kppn_code,
                    order.spm_number,
                    order.kind,
                    order.fingerprint(),
                    order.spm_date.isoformat(),
                    order.fiscal_year,
                    order.amount,
                    order.bank_code,
                    order.account_no,
                    order.account_name,
                    order.ppspm_signature,
                    order.tup_sp2d_number,
                    SUBMITTED,
                    now,
                ),
            )
            conn.executemany(
                "INSERT INTO invoices (spm_id, position, number, vendor_name, npwp, akun, gross, "
                "taxes, net) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        spm_id,
                        position,
                        i.number,
                        i.vendor_name,
                        i.npwp,
                        i.akun,
                        i.gross,
                        json.dumps(dict(i.taxes), sort_keys=True),
                        i.net,
                    )
                    for position, i in enumerate(order.invoices)
                ],
            )
            created = self._one(conn, "spm_id = ?", (spm_id,))
            assert created is not None
            return created, True

    def _check_tup(self, conn: sqlite3.Connection, client_id: str, order: SpmOrder) -> None:
        tup = self._one(
            conn,
            "client_id = ? AND satker_code = ? AND kind = ? AND status = ? AND sp2d_number = ?",
            (client_id, order.satker_code, TUP, APPROVED, order.tup_sp2d_number),
        )
        if tup is None:
            raise TupNotFound
        if tup.tup_accounted_by is not None:
            raise TupAlreadyAccounted(tup.tup_accounted_by)
        other = conn.execute(
            "SELECT spm_id FROM spms WHERE client_id = ? AND kind = ? AND tup_sp2d_number = ? "
            "AND status = ?",
            (client_id, PTUP, order.tup_sp2d_number, SUBMITTED),
        ).fetchone()
        if other is not None:
            raise TupAlreadyAccounted(other["spm_id"])
        if order.amount > tup.amount:
            raise PtupExceedsTup(tup.amount)

    # --- reading -------------------------------------------------------------------------------

    def spm(self, spm_id: str, client_id: str | None = None) -> Spm | None:
        with self._lock:
            if client_id is None:
                return self._one(self._conn, "spm_id = ?", (spm_id,))
            return self._one(self._conn, "spm_id = ? AND client_id = ?", (spm_id, client_id))

    def spm_by_number(self, client_id: str, satker_code: str, spm_number: str) -> Spm | None:
        with self._lock:
            return self._one(
                self._conn,
                "client_id = ? AND satker_code = ? AND spm_number = ?",
                (client_id, satker_code, spm_number),
            )

    def spms(
        self,
        *,
        client_id: str | None = None,
        filters: Mapping[str, str] | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> list[Spm]:
        """SPMs matching ``filters`` (column name → value), in submission order."""
        where, args = ["1 = 1"], []
        if client_id is not None:
            where.append("client_id = ?")
            args.append(client_id)
        for column, value in (filters or {}).items():
            assert column in {"kppn_code", "satker_code", "status", "kind", "spm_number"}
            where.append(f"{column} = ?")
            args.append(value)
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            return self._many(
                self._conn,
                f"{' AND '.join(where)} ORDER BY submitted_at {order}, spm_id {order} LIMIT ?",
                (*args, limit),
            )

    def counts(self) -> dict[str, Any]:
        with self._lock:
            statuses = dict.fromkeys(STATUSES, 0)
            for row in self._conn.execute("SELECT status, COUNT(*) FROM spms GROUP BY status"):
                statuses[row[0]] = int(row[1])
            credits = dict.fromkeys(CREDIT_STATUSES, 0)
            for row in self._conn.execute(
                "SELECT credit_status, COUNT(*) FROM spms WHERE credit_status IS NOT NULL "
                "GROUP BY credit_status"
            ):
                credits[row[0]] = int(row[1])
        return {"spms": statuses, "credits": credits}

    def reset(self) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM invoices")
            conn.execute("DELETE FROM spms")
            conn.execute("DELETE FROM counters")

    # --- decisions -----------------------------------------------------------------------------

    def _decidable(
        self, conn: sqlite3.Connection, client_id: str, spm_id: str, kppn_code: str
    ) -> Spm:
        spm = self._one(conn, "spm_id = ? AND client_id = ?", (spm_id, client_id))
        if spm is None:
            raise SpmNotFound
        if spm.kppn_code != kppn_code:
            raise WrongKppn(spm.kppn_code)
        return spm

    def approve(
        self,
        client_id: str,
        spm_id: str,
        *,
        kppn_code: str,
        user_id: str,
        today: date,
        tup_due_months: int,
    ) -> tuple[Spm, bool]:
        """Issue the SP2D: (spm, True) now, (spm, False) if it was already approved. The credit
        to the treasurer's account is left PENDING (NONE for a PTUP) for the bank link."""
        with self._tx() as conn:
            spm = self._decidable(conn, client_id, spm_id, kppn_code)
            if spm.status == APPROVED:
                return spm, False
            if spm.status != SUBMITTED:
                raise InvalidState(spm.status, "approve")
            now = self.clock()
            sequence = self._next(conn, f"sp2d:{spm.kppn_code}:{spm.fiscal_year}")
            sp2d = f"{spm.fiscal_year % 100:02d}{spm.kppn_code}{KIND_DIGITS[spm.kind]}"
            sp2d += f"{sequence:09d}"
            due = add_months(today, tup_due_months).isoformat() if spm.kind == TUP else None
            conn.execute(
                "UPDATE spms SET status = ?, decided_by = ?, decided_at = ?, sp2d_number = ?, "
                "sp2d_date = ?, tup_due_date = ?, credit_status = ?, credit_next_at = ? "
                "WHERE spm_id = ?",
                (
                    APPROVED,
                    user_id,
                    now,
                    sp2d,
                    today.isoformat(),
                    due,
                    NONE if spm.kind == PTUP else PENDING,
                    now,
                    spm_id,
                ),
            )
            if spm.kind == PTUP:
                conn.execute(
                    "UPDATE spms SET tup_accounted_by = ?, tup_accounted_at = ? "
                    "WHERE client_id = ? AND satker_code = ? AND kind = ? AND sp2d_number = ?",
                    (sp2d, now, client_id, spm.satker_code, TUP, spm.tup_sp2d_number),
                )
            approved = self._one(conn, "spm_id = ?", (spm_id,))
            assert approved is not None
            return approved, True

    def reject(
        self, client_id: str, spm_id: str, *, kppn_code: str, user_id: str, reason: str
    ) -> tuple[Spm, bool]:
        """(spm, True) rejected now, (spm, False) if it was already rejected."""
        with self._tx() as conn:
            spm = self._decidable(conn, client_id, spm_id, kppn_code)
            if spm.status == REJECTED:
                return spm, False
            if spm.status != SUBMITTED:
                raise InvalidState(spm.status, "reject")
            conn.execute(
                "UPDATE spms SET status = ?, decided_by = ?, decided_at = ?, "
                "rejection_reason = ? WHERE spm_id = ?",
                (REJECTED, user_id, self.clock(), reason, spm_id),
            )
            rejected = self._one(conn, "spm_id = ?", (spm_id,))
            assert rejected is not None
            return rejected, True

    # --- the credit of an SP2D -----------------------------------------------------------------

    def credits_due(self, now: float, limit: int = 50) -> list[str]:
        """Approved SPMs whose credit is PENDING and due for an attempt."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT spm_id FROM spms WHERE credit_status = ? AND "
                "(credit_next_at IS NULL OR credit_next_at <= ?) ORDER BY decided_at LIMIT ?",
                (PENDING, now, limit),
            ).fetchall()
        return [r["spm_id"] for r in rows]

    def credit_attempt(self, spm_id: str, day: str) -> None:
        """Record, before the bank is called, that a credit may be booked on ``day``: the days
        a later attempt searches the statement for before it sends anything again."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT credit_attempt_days FROM spms WHERE spm_id = ?", (spm_id,)
            ).fetchone()
            days = [d for d in (row["credit_attempt_days"] or "").split(",") if d]
            if day not in days:
                days.append(day)
            conn.execute(
                "UPDATE spms SET credit_attempts = credit_attempts + 1, "
                "credit_attempt_days = ? WHERE spm_id = ?",
                (",".join(days), spm_id),
            )

    def credit_done(self, spm_id: str, reference: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE spms SET credit_status = ?, credit_reference = ?, credited_at = ?, "
                "credit_last_error = NULL, credit_next_at = NULL "
                "WHERE spm_id = ? AND credit_status IN (?, ?)",
                (CREDITED, reference, self.clock(), spm_id, PENDING, FAILED),
            )

    def credit_not_done(
        self, spm_id: str, error: str, *, next_at: float | None, failed: bool = False
    ) -> None:
        """The attempt did not (knowingly) credit: PENDING with the next attempt's time, or
        FAILED (the bank refused: only an explicit retry tries again)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE spms SET credit_status = ?, credit_last_error = ?, credit_next_at = ? "
                "WHERE spm_id = ? AND credit_status IN (?, ?)",
                (FAILED if failed else PENDING, error, next_at, spm_id, PENDING, FAILED),
            )

    def credit_requeue(self, spm_id: str) -> bool:
        """A FAILED credit back to PENDING (admin retry); True if it was FAILED or PENDING."""
        with self._tx() as conn:
            cursor = conn.execute(
                "UPDATE spms SET credit_status = ?, credit_next_at = NULL "
                "WHERE spm_id = ? AND credit_status IN (?, ?)",
                (PENDING, spm_id, PENDING, FAILED),
            )
            return cursor.rowcount > 0
