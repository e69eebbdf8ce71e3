"""Fill English msgstrs given as a JSON object {msgid: msgstr} (clears fuzzy flags)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "src/digipay/locale/en/LC_MESSAGES/django.po"


def main() -> None:
    pairs: dict[str, str] = json.loads(sys.stdin.read())
    po = polib.pofile(str(PO))
    for msgid, msgstr in pairs.items():
        entry = po.find(msgid)
        if entry is None:
            raise SystemExit(f"no such msgid: {msgid!r}")
        entry.msgstr = msgstr
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
    po.save(str(PO))
    print(f"{po.percent_translated()}% translated, {len(po.fuzzy_entries())} fuzzy")


if __name__ == "__main__":
    main()
