"""Account statements: SNAP bank statement (service 14) and a camt.053-like JSON document.

Both are built from the ``entries`` table (one line per booking, with the balance after it).
The camt.053-like document follows the ISO 20022 ``BankToCustomerStatement`` element names
(``BkToCstmrStmt/Stmt/Bal/Ntry``) in JSON, for one account and one Jakarta day by default;
amounts are SNAP strings and rupiah.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from digipay.simulators.banksim.config import BankConfig
from digipay.simulators.banksim.store import Statement, StatementLine, iso
from digipay.snap import values

MAX_LINES = 1000


def day_bounds(day: date) -> tuple[float, float]:
    """[start, end) of a Jakarta calendar day, as epoch seconds."""
    start = datetime.combine(day, time(0), tzinfo=values.WIB)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def _money(idr: int) -> dict[str, str]:
    return {"value": values.format_amount(abs(idr)), "currency": "IDR"}


def _jakarta_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(values.WIB).date().isoformat()


# --- SNAP 14 -----------------------------------------------------------------------------------


def snap_fields(statement: Statement) -> dict[str, Any]:
    """The body fields of a SNAP bank-statement answer (after responseCode/referenceNo)."""
    credits = [line for line in statement.lines if line.amount > 0]
    debits = [line for line in statement.lines if line.amount < 0]
    start_at, end_at = iso(statement.start), iso(statement.end)
    return {
        "balance": [
            {
                "amount": {**_money(statement.closing), "dateTime": end_at},
                "startingBalance": {**_money(statement.opening), "dateTime": start_at},
                "endingBalance": {**_money(statement.closing), "dateTime": end_at},
            }
        ],
        "totalCreditEntries": {
            "numberOfEntries": str(len(credits)),
            "amount": _money(sum(line.amount for line in credits)),
        },
        "totalDebitEntries": {
            "numberOfEntries": str(len(debits)),
            "amount": _money(-sum(line.amount for line in debits)),
        },
        "hasMore": "Y" if statement.has_more else "N",
        "lastRecordDateTime": iso(statement.lines[-1].booked_at) if statement.lines else "",
        "detailData": [_snap_line(line) for line in statement.lines],
    }


def _snap_line(line: StatementLine) -> dict[str, Any]:
    return {
        "amount": _money(line.amount),
        "transactionDate": iso(line.booked_at),
        "remark": line.description,
        "transactionId": line.reference_no,
        "type": "CREDIT" if line.amount > 0 else "DEBIT",
        "transactionDetailStatus": "SUCCESS",
        "detailBalance": {
            "startAmount": [{"amount": _money(line.balance_after - line.amount)}],
            "endAmount": [{"amount": _money(line.balance_after)}],
        },
        "additionalInfo": {
            "sequenceNo": line.sequence_no,
            "partnerReferenceNo": line.partner_reference_no,
            "serviceCode": line.service_code,
            "counterpartyBankCode": line.counterparty_bank,
            "counterpartyAccountNo": line.counterparty_account,
            "counterpartyName": line.counterparty_name,
        },
    }


# --- camt.053-like -----------------------------------------------------------------------------


def camt053(statement: Statement, bank: BankConfig, *, created_at: float) -> dict[str, Any]:
    account = statement.account
    identifier = f"{bank.code}-{account.account_no}-{_jakarta_date(statement.start)}"
    credits = [line for line in statement.lines if line.amount > 0]
    debits = [line for line in statement.lines if line.amount < 0]

    def balance(code: str, idr: int, at: float) -> dict[str, Any]:
        return {
            "Tp": {"CdOrPrtry": {"Cd": code}},
            "Amt": {"value": values.format_amount(abs(idr)), "Ccy": "IDR"},
            "CdtDbtInd": "CRDT" if idr >= 0 else "DBIT",
            "Dt": {"Dt": _jakarta_date(at)},
        }

    def total(lines: list[StatementLine]) -> dict[str, str]:
        return {
            "NbOfNtries": str(len(lines)),
            "Sum": values.format_amount(sum(abs(line.amount) for line in lines)),
        }

    return {
        "BkToCstmrStmt": {
            "GrpHdr": {"MsgId": f"STMT-{identifier}", "CreDtTm": iso(created_at)},
            "Stmt": {
                "Id": identifier,
                "CreDtTm": iso(created_at),
                "FrToDt": {"FrDtTm": iso(statement.start), "ToDtTm": iso(statement.end)},
                "Acct": {
                    "Id": {"Othr": {"Id": account.account_no}},
                    "Ccy": account.currency,
                    "Nm": account.name,
                    "Svcr": {"FinInstnId": {"ClrSysMmbId": {"MmbId": bank.code}, "Nm": bank.name}},
                },
                "Bal": [
                    balance("OPBD", statement.opening, statement.start),
                    balance("CLBD", statement.closing, statement.end - 1),
                ],
                "TxsSummry": {
                    "TtlNtries": total(statement.lines),
                    "TtlCdtNtries": total(credits),
                    "TtlDbtNtries": total(debits),
                },
                "Ntry": [_camt_entry(line, bank) for line in statement.lines],
                "AddtlStmtInf": "INCOMPLETE: more entries than one statement holds"
                if statement.has_more
                else "",
            },
        }
    }


def _camt_entry(line: StatementLine, bank: BankConfig) -> dict[str, Any]:
    credit = line.amount > 0
    party = {"Nm": line.counterparty_name}
    party_account = {"Id": {"Othr": {"Id": line.counterparty_account}}}
    party_agent = {"FinInstnId": {"ClrSysMmbId": {"MmbId": line.counterparty_bank}}}
    return {
        "NtryRef": str(line.sequence_no),
        "Amt": {"value": values.format_amount(abs(line.amount)), "Ccy": "IDR"},
        "CdtDbtInd": "CRDT" if credit else "DBIT",
        "Sts": {"Cd": "BOOK"},
        "BookgDt": {"DtTm": iso(line.booked_at)},
        "ValDt": {"Dt": _jakarta_date(line.booked_at)},
        "AcctSvcrRef": line.reference_no,
        "BkTxCd": {"Prtry": {"Cd": line.service_code or "ADJ", "Issr": bank.short_name}},
        "NtryDtls": {
            "TxDtls": [
                {
                    "Refs": {
                        "AcctSvcrRef": line.reference_no,
                        "EndToEndId": line.partner_reference_no or "NOTPROVIDED",
                    },
                    "RltdPties": (
                        {"Dbtr": party, "DbtrAcct": party_account}
                        if credit
                        else {"Cdtr": party, "CdtrAcct": party_account}
                    ),
                    "RltdAgts": {"DbtrAgt": party_agent} if credit else {"CdtrAgt": party_agent},
                    "RmtInf": {"Ustrd": [line.description]},
                    "BalAfter": values.format_amount(line.balance_after),
                }
            ]
        },
    }
