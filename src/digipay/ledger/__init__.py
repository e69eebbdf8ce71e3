"""Ledger: the append-only double-entry book of every rupiah, with two-phase holds.

An Entry has Postings (account, signed whole rupiah: + debit, − credit) that sum to zero.
Operations: ``post``, ``hold`` (pending), ``post_hold`` (full or partial; the rest is released),
``void_hold`` and ``correct``. A hold is resolved by a later entry that references it, at most
once (a unique constraint), so no row is ever updated. Balances are kept per account in
TigerBeetle's four counters (debits/credits × pending/posted) on a row locked while an entry
is written; ``validate_ledger`` recomputes everything from the postings.

Imports only ``core``: the ledger knows accounts and owners by id, not satkers or users.
"""
