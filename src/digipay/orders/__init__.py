"""Orders: the cart, order details and negotiation, checkout to the PPK with the limit, split
and UP checks, PPK approval with a UP hold, vendor confirmation, delivery, receipt (BAST),
complaints, cancellation and the scheduler's auto-cancel (DOMAIN.md §4, §7).

May import ``core``, ``audit``, ``accounts``, ``policy``, ``ledger``, ``vendors``, ``catalog``
and ``treasury``.
"""
