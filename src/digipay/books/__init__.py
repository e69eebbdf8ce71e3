"""The treasurer's books and their proof: the BKU (general cash book) and sub-books (bank, UP,
tax) generated from the ledger, the monthly LPJ with the bank statement balance, and the
daily three-way reconciliation (ledger, payment records, bank statements) with a case for
every mismatch.

May import every app below it; nothing imports it but demo and config.
"""
