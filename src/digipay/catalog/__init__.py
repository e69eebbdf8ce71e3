"""Catalog: the category tree, products (prices, stock, PDN/TKDN, delivery regions, images,
price history), bulk import/export, and Indonesian search (PostgreSQL full text with the
``indonesian`` configuration and pg_trgm; SQLite FTS5 with the same Snowball stemmer).

May import ``core``, ``audit``, ``accounts``, ``policy`` and ``vendors``.
"""
