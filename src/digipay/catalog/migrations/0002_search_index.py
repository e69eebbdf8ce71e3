"""The full-text index, per database (docs/adr/0011).

PostgreSQL: pg_trgm; a generated tsvector column (configuration ``indonesian``: name A, store
name B, description C) with a GIN index over listed products; a text_pattern_ops index for the
category-subtree prefix filter; a trigram index on the lexicon for typo correction.
SQLite: an FTS5 table whose rows (Snowball stems) the services keep (``search.index_products``).
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE catalog_product ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('indonesian'::regconfig, coalesce(name, '')), 'A') ||
        setweight(to_tsvector('indonesian'::regconfig, coalesce(vendor_name, '')), 'B') ||
        setweight(to_tsvector('indonesian'::regconfig, coalesce(description, '')), 'C')
    ) STORED""",
    "CREATE INDEX product_search_gin ON catalog_product USING gin (search_vector) WHERE is_listed",
    "CREATE INDEX product_category_prefix ON catalog_product (category_path text_pattern_ops) "
    "WHERE is_listed",
    "CREATE INDEX searchword_trgm ON catalog_searchword USING gin (word gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS searchword_trgm",
    "DROP INDEX IF EXISTS product_category_prefix",
    "DROP INDEX IF EXISTS product_search_gin",
    "ALTER TABLE catalog_product DROP COLUMN IF EXISTS search_vector",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_product_fts USING fts5("
    "name, vendor_name, description, tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS catalog_product_fts"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
