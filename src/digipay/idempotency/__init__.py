"""Idempotency: the ``Idempotency-Key`` header of mutating API calls (IETF httpapi draft).

One record per (caller, key): the first request with a key claims it and runs; a repeat with
the same request gets the first response replayed (``Idempotent-Replayed: true``), with another
request 422, while the first is still running 409. Endpoints opt in with
``decorators.idempotent()`` under the router decorator; ``services`` holds the claim, completion
and release; ``rules`` the pure parts (key format, request fingerprint, decisions); the periodic
job ``idempotency.prune`` deletes expired records. See docs/adr/0018-idempotency-keys.md.

May import ``core``, ``worker``, ``audit`` and ``accounts``; apps above it (payments) use it.
"""
