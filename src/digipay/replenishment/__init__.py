"""Replenishing UP through SPAN: SPM-GUP (Tunai) and SPM-GUP KKP listing paid invoices and
card bills, TUP and its accountability (PTUP), the PPSPM's signature, the KPPN's check and
approval in Digipay's KPPN pages, the SP2D credit restoring UP in the ledger, and the
replenishment-age warnings and cuts.

May import every app below it (cardbills, payments and down); nothing imports it but books,
demo and config.
"""
