"""Tax: the effective-dated tax engine of DOMAIN.md §6 (PPN, PPh 22, PPh 23, PPh final).

Tax rules are rows (``models.TaxRule``) with ``valid_from``/``valid_to``: rates as exact
fractions, the DPP nilai lain fraction and its rounding, the Rp2 juta threshold and its basis,
and whether the collector collects the tax or the vendor accounts for it itself. ``rules.quote``
is the pure engine over those rows (exact ``Fraction`` arithmetic, every tax rounded down to a
whole rupiah at the end, every figure explained); ``services.quote`` loads the rows in force on
the invoice date; ``services.add_tax_rule`` lets DJPb admins add rows (audited, never
overlapping, never retroactive). The quote is served by ``POST /api/v1/tax/quote`` and
``digipay tax-quote``. See docs/adr/0014-tax-engine.md.

May import ``core``, ``audit``, ``accounts``; the vendors, orders and invoicing apps above it
pass the vendor's facts in and use the quote (``rules.estimate_gross`` for the UP hold).
"""
