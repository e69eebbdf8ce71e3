"""Core: what every app shares and nothing domain-specific.

Money (integer rupiah), the UTC clock, the Indonesian working-day calendar, DomainError, the
request context (request id, client IP) and template filters. Imports nothing from other
Digipay apps.
"""
