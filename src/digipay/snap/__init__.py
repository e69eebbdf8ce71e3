"""SNAP (Bank Indonesia's national open API standard): signatures, timestamps, amounts, codes.

A small library of our own, shared by the bank gateway (``integrations``) and the bank
simulator (``simulators``); it imports nothing from Digipay so that both sides can use it and
the simulator stays free of the domain. The symmetric signature is pinned by the published
Midtrans SNAP-BI-Signature-Demo vector (tests/unit/test_snap.py).
"""
