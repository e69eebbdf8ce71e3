"""What Digipay expects to see on a treasurer's bank statement: one ``Movement`` per money
event of the satker's Bendahara Pengeluaran account, whoever recorded it.

The apps that move the treasurer's money each answer ``treasurer_movements(satker_id, start,
end)`` in their ``queries.py`` with these rows — payments (vendor transfers, tax deposits, card
bill payments, refunds received), replenishment (SP2D credits) — and the books app reconciles
them three ways: against the ledger's postings and the bank's statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MovementKind(StrEnum):
    VENDOR_TRANSFER = "VENDOR_TRANSFER"  # a vendor paid by transfer (net of taxes)
    TAX_DEPOSIT = "TAX_DEPOSIT"  # a tax deposited to the state's account (MPN)
    CARD_BILL = "CARD_BILL"  # a KKP bill paid to the issuing bank
    REFUND = "REFUND"  # a vendor's refund received (returned goods)
    SP2D = "SP2D"  # a replenishment (GUP, GUP KKP, TUP) credited by the treasury


class MovementStatus(StrEnum):
    OPEN = "OPEN"  # sent or expected, outcome not known yet
    DONE = "DONE"  # the bank executed it (Digipay recorded it)
    FAILED = "FAILED"  # the bank refused it; nothing should be on the statement


@dataclass(frozen=True, slots=True)
class Movement:
    kind: MovementKind
    direction: int  # -1: out of the treasurer's account; +1: into it
    amount_idr: int  # positive, integer rupiah
    status: MovementStatus
    # The bank's reference as printed on the statement (empty until known), and Digipay's own
    # stable reference sent with it (partner reference, SP2D number, refund reference).
    bank_reference: str
    partner_reference: str
    remark: str  # the remark sent to the bank (statements carry it)
    created_at: datetime
    settled_at: datetime | None  # when Digipay recorded the bank's outcome
    entry_ids: tuple[int, ...]  # the ledger entries that posted it (empty until posted)
    source: str  # "<app>.<model>:<id>", e.g. "payments.payment:12"

    @property
    def signed_amount(self) -> int:
        return self.direction * self.amount_idr
