"""The satker's chart of accounts in the ledger (decision: docs/adr/0008-chart-of-accounts.md).

Satker-owned accounts (owner = the satker's organisation id):

    UP_TUNAI              asset, debit, guarded   cash of UP in the treasurer's bank account
    UP_KKP                asset, debit, guarded   unused UP KKP credit line of the satker
    KKP_CARD:<card id>    asset, debit, guarded   unused limit of one card
    KKP_CARD_LIMITS       memo, credit            counterpart of the card limits given
    UP_FUND:TUNAI|KKP|TUP liability, credit       UP received from the state, to account for
    EXPENSE:<akun>        expense, debit          spending by budget account (52xxxx/53xxxx)
    TAX_PAYABLE:<tax>     liability, credit       PPN, PPH22, PPH23, PPH_FINAL withheld
    VENDOR_PAYABLE:<id>   liability, credit       owed to a vendor organisation
    CARD_BILL_PAYABLE:<bank code>  liability, credit  KKP bill owed to the issuing bank
    KKP_BILL_PAID         asset, debit            KKP bills paid from UP Tunai, awaiting GUP KKP

KPPN-owned accounts (owner = the paying KPPN's organisation id):

    UP_RECEIVABLE:<satker id>  asset, debit   UP and TUP the satker holds on the state's behalf
    UP_DISBURSED               equity, credit what left the state cash account as UP
    GUP_DISBURSED              equity, credit replenishments (GUP) paid to satkers

How UP moves (the identity the books and the invariants check, per satker):

    UP_TUNAI + UP_KKP + KKP_BILL_PAID − TAX_PAYABLE(all)
        = UP/TUP advances − returns + GUP replenishments − EXPENSE(all, net of refunds)

    spend by transfer  Dr EXPENSE gross, Cr UP_TUNAI gross; Dr UP_TUNAI tax, Cr TAX_PAYABLE tax
    spend by card      Dr EXPENSE, Cr UP_KKP (and the card's own limit: Dr CARD_LIMITS, Cr KKP_CARD)
    tax deposited      Dr TAX_PAYABLE, Cr UP_TUNAI
    card bill paid     Dr KKP_BILL_PAID, Cr UP_TUNAI (and Dr KKP_CARD, Cr CARD_LIMITS: the bank
                       frees the card's limit once paid)
    GUP Tunai (SP2D)   Dr UP_TUNAI, Cr GUP_DISBURSED (the KPPN's)
    GUP KKP (SP2D)     Dr UP_TUNAI, Cr GUP_DISBURSED; Dr UP_KKP, Cr KKP_BILL_PAID
    refund received    Dr UP_TUNAI, Cr EXPENSE
"""

from __future__ import annotations

from dataclasses import dataclass

from digipay.accounts.models import Organisation
from digipay.ledger import services as ledger
from digipay.ledger.models import Account, AccountKind
from digipay.ledger.rules import Side

TAXES = ("PPN", "PPH22", "PPH23", "PPH_FINAL")


@dataclass(frozen=True, slots=True)
class SatkerBook:
    up_tunai: Account
    up_kkp: Account
    fund_tunai: Account
    fund_kkp: Account
    fund_tup: Account
    card_limits: Account


def _open(
    satker: Organisation, code: str, name: str, kind: str, side: str, guard: bool = False
) -> Account:
    """One satker-owned account, opened on first use."""
    return ledger.open_account(
        owner_id=int(satker.pk),
        code=code,
        name=name,
        kind=kind,
        normal_side=side,
        must_not_go_negative=guard,
    )


def satker_book(satker: Organisation) -> SatkerBook:
    def acc(code: str, name: str, kind: str, side: str, guard: bool = False) -> Account:
        return _open(satker, code, name, kind, side, guard)

    return SatkerBook(
        up_tunai=acc(
            "UP_TUNAI", "Kas UP Tunai (rekening Bendahara)", AccountKind.ASSET, Side.DEBIT, True
        ),
        up_kkp=acc("UP_KKP", "Sisa limit UP KKP satker", AccountKind.ASSET, Side.DEBIT, True),
        fund_tunai=acc(
            "UP_FUND:TUNAI", "UP Tunai diterima dari Kas Negara", AccountKind.LIABILITY, Side.CREDIT
        ),
        fund_kkp=acc(
            "UP_FUND:KKP", "UP KKP diterima dari Kas Negara", AccountKind.LIABILITY, Side.CREDIT
        ),
        fund_tup=acc(
            "UP_FUND:TUP", "TUP diterima dari Kas Negara", AccountKind.LIABILITY, Side.CREDIT
        ),
        card_limits=acc(
            "KKP_CARD_LIMITS", "Limit kartu KKP yang diberikan", AccountKind.MEMO, Side.CREDIT
        ),
    )


def card_line(satker: Organisation, card_id: int, last4: str) -> Account:
    return _open(
        satker,
        f"KKP_CARD:{card_id}",
        f"Sisa limit kartu •••• {last4}",
        AccountKind.ASSET,
        Side.DEBIT,
        guard=True,
    )


def expense(satker: Organisation, akun: str) -> Account:
    return _open(satker, f"EXPENSE:{akun}", f"Belanja akun {akun}", AccountKind.EXPENSE, Side.DEBIT)


def tax_payable(satker: Organisation, tax: str) -> Account:
    if tax not in TAXES:
        raise ValueError(f"unknown tax {tax}")
    return _open(
        satker, f"TAX_PAYABLE:{tax}", f"Utang pajak {tax}", AccountKind.LIABILITY, Side.CREDIT
    )


def vendor_payable(satker: Organisation, vendor_id: int) -> Account:
    return _open(
        satker,
        f"VENDOR_PAYABLE:{vendor_id}",
        f"Utang kepada vendor {vendor_id}",
        AccountKind.LIABILITY,
        Side.CREDIT,
    )


def kkp_bill_paid(satker: Organisation) -> Account:
    """KKP bills the Bendahara paid from UP Tunai, until a GUP KKP replenishes them."""
    return _open(
        satker,
        "KKP_BILL_PAID",
        "Tagihan KKP dibayar dari UP Tunai, menunggu GUP KKP",
        AccountKind.ASSET,
        Side.DEBIT,
        guard=True,
    )


def card_bill_payable(satker: Organisation, bank_code: str) -> Account:
    return _open(
        satker,
        f"CARD_BILL_PAYABLE:{bank_code}",
        f"Tagihan KKP bank {bank_code}",
        AccountKind.LIABILITY,
        Side.CREDIT,
    )


@dataclass(frozen=True, slots=True)
class KppnBook:
    receivable: Account
    disbursed: Account
    gup_disbursed: Account


def kppn_book(kppn: Organisation, satker: Organisation) -> KppnBook:
    owner = int(kppn.pk)
    return KppnBook(
        receivable=ledger.open_account(
            owner_id=owner,
            code=f"UP_RECEIVABLE:{satker.pk}",
            name=f"UP pada satker {satker.code}",
            kind=AccountKind.ASSET,
            normal_side=Side.DEBIT,
        ),
        disbursed=ledger.open_account(
            owner_id=owner,
            code="UP_DISBURSED",
            name="UP disalurkan dari Kas Negara",
            kind=AccountKind.EQUITY,
            normal_side=Side.CREDIT,
        ),
        gup_disbursed=ledger.open_account(
            owner_id=owner,
            code="GUP_DISBURSED",
            name="Penggantian UP (GUP) disalurkan dari Kas Negara",
            kind=AccountKind.EQUITY,
            normal_side=Side.CREDIT,
        ),
    )
