"""Simulators of Digipay's external parties, each a separate process on its own port.

They exist so that demos, tests and benchmarks cross a real network boundary (DOMAIN.md §9),
with fault injection. A simulator imports nothing from Digipay except ``digipay.snap`` (the
shared SNAP signing library) and keeps its own storage: it plays the other side, not ours.

- ``banksim``: the banks (SNAP token, account inquiry, transfers, status, signed notifications).
"""
