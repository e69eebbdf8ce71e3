"""The reference tables and number formats of the simulated MPN (docs/mpnsim.md).

- Tax account codes (akun pajak) accepted: the four Digipay deposits, nothing else.
- Deposit type codes (kode jenis setoran, KJS) accepted per account: a short, simplified list
  (DJP's full table is longer); Digipay's deposits use the first code of each account.
- Billing code: 15 digits; the first digit 0-3 marks a tax billing (DJP), the last digit is a
  Luhn check digit over the other fourteen (the simulator's own choice: it catches typos).
- NTPN: 16 characters from 0-9 and A-Z; NTB: the collecting bank's code and 9 digits.
"""

from __future__ import annotations

import secrets
import string

TAX_ACCOUNTS: dict[str, str] = {
    "411122": "PPh Pasal 22",
    "411124": "PPh Pasal 23",
    "411128": "PPh Final",
    "411211": "PPN Dalam Negeri",
}

DEPOSIT_TYPES: dict[str, dict[str, str]] = {
    "411122": {
        "100": "PPh 22 dipungut oleh bendahara / pemungut",
    },
    "411124": {
        "104": "PPh 23 atas jasa, dipotong oleh pemotong",
        "100": "PPh 23 atas dividen",
        "101": "PPh 23 atas bunga",
        "102": "PPh 23 atas royalti",
        "103": "PPh 23 atas hadiah dan penghargaan",
    },
    "411128": {
        "423": "PPh final UMKM (PP 55/2022) dipotong/dipungut oleh pemotong/pemungut",
        "420": "PPh final UMKM (PP 55/2022) disetor sendiri",
    },
    "411211": {
        "900": "PPN dipungut oleh bendahara / pemungut",
        "100": "PPN dalam negeri, setoran masa",
    },
}

BILLING_CODE_LENGTH = 15
TAX_BILLING_FIRST_DIGITS = "0123"
NTPN_ALPHABET = string.digits + string.ascii_uppercase
NTPN_LENGTH = 16


def luhn_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def is_billing_code(text: str) -> bool:
    """15 digits, a tax billing's first digit (0-3), a valid check digit."""
    return (
        len(text) == BILLING_CODE_LENGTH
        and text.isascii()
        and text.isdigit()
        and text[0] in TAX_BILLING_FIRST_DIGITS
        and luhn_digit(text[:-1]) == text[-1]
    )


def new_billing_code() -> str:
    first = secrets.choice(TAX_BILLING_FIRST_DIGITS)
    body = first + "".join(secrets.choice(string.digits) for _ in range(13))
    return body + luhn_digit(body)


def new_ntpn() -> str:
    return "".join(secrets.choice(NTPN_ALPHABET) for _ in range(NTPN_LENGTH))


def ntb(bank_code: str, sequence: int) -> str:
    return f"{bank_code}{sequence:09d}"
