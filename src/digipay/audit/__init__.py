"""Audit: the append-only, hash-chained record of every state change.

Each tenant (an organisation) has its own chain: ``hash = sha256(prev_hash + canonical_json)``.
Services write events through ``services.record_event`` inside their own transaction; nothing
updates or deletes an event (PostgreSQL refuses it with a trigger). ``digipay audit verify``
recomputes the chains. Imports only ``core``.
"""
