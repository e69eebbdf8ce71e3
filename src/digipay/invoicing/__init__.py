"""Invoicing: the invoice (tagihan) made from each BAST with the taxes of the tax engine
frozen on it, the vendor's invoice and faktur numbers, the PPK's test (verify or return),
credit notes, the tax deposits the collector owes and the monthly tax report, and the
documents (invoice, kuitansi, SPBy, withholding slips) as PDF (DOMAIN.md §4 steps 8-9, §6).

May import ``core``, ``audit``, ``accounts``, ``policy``, ``vendors``, ``catalog``, ``tax``,
``treasury`` and ``orders``; only ``demo`` and ``config`` import it. See
docs/adr/0016-invoices-and-tax-deposits.md.
"""
