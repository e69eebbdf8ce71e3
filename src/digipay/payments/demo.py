"""Demo data of payments: the Bendahara Pengeluaran accounts of the demo satkers, as the bank
simulator's demo config holds them (simulators/banksim/demo_config.json)."""

from __future__ import annotations

from digipay.accounts.models import Organisation
from digipay.payments.models import TreasurerAccount

TREASURER_ACCOUNTS = {
    "415256": ("002", "034601000123307", "BPG 415256 SETDITJEN PERBENDAHARAAN"),
    "652840": ("008", "1230007654321", "BPG 652840 BBPJN JAKARTA-BANTEN"),
    "527010": ("009", "0987654321", "BPG 527010 POLTEKKES KEMENKES BANDUNG"),
}


def load() -> None:
    for code, (bank_code, account_no, holder) in TREASURER_ACCOUNTS.items():
        satker = Organisation.objects.filter(code=code).first()
        if satker is None:
            continue
        TreasurerAccount.objects.get_or_create(
            satker=satker,
            defaults={"bank_code": bank_code, "account_no": account_no, "holder_name": holder},
        )
