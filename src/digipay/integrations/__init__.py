"""Integrations: Digipay's side of the external systems — banks over SNAP (gateway and
notification inbox); SPAN and MPN come later.

Gateways are small interfaces with httpx implementations configured per counterparty
(configuration, not code). May import ``core`` and ``snap``; the domain apps call it, never the
other way round.
"""
