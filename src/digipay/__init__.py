"""Digipay."""
