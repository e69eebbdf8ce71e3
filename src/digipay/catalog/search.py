"""Catalog search: Indonesian full text with stemming, typo tolerance, filters, sorting,
keyset (cursor) pagination and facet counts — on PostgreSQL and on SQLite.

PostgreSQL: ``catalog_product.search_vector`` is a generated ``tsvector`` (configuration
``indonesian``; name weight A, store name B, description C) with a partial GIN index over
listed products; mistyped words are corrected against ``catalog_searchword`` with pg_trgm.
SQLite: an FTS5 table holds the same Snowball stems (``rules.stemmed``), kept by
``index_products``; mistyped words are corrected with difflib. Both run the same plan:

1. every query word must match (AND; the last word also as a prefix, for partial words);
2. if nothing matches, words missing from the lexicon are replaced by their nearest word;
3. if still nothing matches, any word may match (OR), ranked by how many do.

Ranking: the database's text rank, plus a bonus when the words appear as a phrase and one when
the name starts with the first word, so that "kertas A4" puts A4 paper above an envelope that
merely mentions both words.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models.functions import Length
from django.utils.dateparse import parse_datetime

from digipay.catalog import rules
from digipay.catalog.models import Category, Product, SearchWord
from digipay.catalog.rules import SortOrder

MAX_LIMIT = 100
DEFAULT_LIMIT = 24
COUNT_CAP = 1_000
PHRASE_BONUS = 10.0
# Indonesian product names put the kind of thing first ("Kertas HVS A4", "Amplop … kertas"):
# a name that starts with the first query word is what the buyer is looking for.
HEAD_BONUS = 5.0


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    category_id: int | None = None
    price_min: int | None = None
    price_max: int | None = None
    vendor_province: str = ""
    delivery_province: str = ""
    vendor_classes: tuple[str, ...] = ()
    pdn_only: bool = False
    min_tkdn_bp: int = 0
    vendor_id: int | None = None
    sort: str = SortOrder.RELEVANCE
    cursor: str = ""
    limit: int = DEFAULT_LIMIT


@dataclass
class SearchPage:
    items: list[Product]
    next_cursor: str | None
    total: int
    total_capped: bool  # "1.000+": counting a broad word's matches exactly costs too much
    corrected_query: str | None = None
    facets: dict[str, list[tuple[Any, str, int]]] | None = field(default=None)


class BadCursor(ValueError):
    pass


def _pg() -> bool:
    return connection.vendor == "postgresql"


# --- text query -------------------------------------------------------------------------------


def _pg_tsquery(words: Sequence[str], *, any_word: bool) -> str:
    """A to_tsquery text: words are [a-z0-9]+ already, so nothing needs escaping. The last
    word is also a prefix (partial words). PostgreSQL's parser reads the "10" of "HD-10" as
    the signed integer "-10", so a number matches either form."""
    parts = []
    for i, w in enumerate(words):
        suffix = ":*" if i == len(words) - 1 and len(w) >= 3 else ""
        parts.append(f"({w}{suffix} | -{w}{suffix})" if w.isdigit() else f"{w}{suffix}")
    return (" | " if any_word else " & ").join(parts)


def _fts5_query(words: Sequence[str], *, any_word: bool) -> str:
    stems = [rules.stem(w) for w in words]
    parts = [
        f'"{s}"*' if i == len(stems) - 1 and len(words[i]) >= 3 else f'"{s}"'
        for i, s in enumerate(stems)
    ]
    return (" OR " if any_word else " AND ").join(parts)


def _fts5_phrase(words: Sequence[str]) -> str:
    return '"' + " ".join(rules.stem(w) for w in words) + '"'


def _head(words: Sequence[str]) -> str:
    return words[0] + "%"


@dataclass
class _Sql:
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        self.where.append(clause)
        self.params.extend(params)


def _filters(p: SearchParams, sql: _Sql) -> None:
    sql.add("p.is_listed = %s", True)
    if p.category_id is not None:
        category = Category.objects.filter(pk=p.category_id).first()
        if category is not None and not category.children.exists():
            # A leaf: its own partial indexes serve the newest and price orders.
            sql.add("p.category_id = %s", category.pk)
        else:
            path = category.path if category is not None else "-none-"
            sql.add("p.category_path LIKE %s", path + "%")
    if p.price_min is not None:
        sql.add("p.price_idr >= %s", p.price_min)
    if p.price_max is not None:
        sql.add("p.price_idr <= %s", p.price_max)
    if p.vendor_province:
        sql.add("p.vendor_province_id = %s", p.vendor_province)
    if p.delivery_province:
        sql.add(
            "(p.delivers_nationwide = %s OR EXISTS (SELECT 1 FROM catalog_deliveryarea a "
            "WHERE a.product_id = p.id AND a.province_id = %s))",
            True,
            p.delivery_province,
        )
    if p.vendor_classes:
        marks = ", ".join(["%s"] * len(p.vendor_classes))
        sql.add(f"p.vendor_class IN ({marks})", *p.vendor_classes)
    if p.pdn_only:
        sql.add("p.is_pdn = %s", True)
    if p.min_tkdn_bp:
        sql.add("p.tkdn_bp >= %s", p.min_tkdn_bp)
    if p.vendor_id is not None:
        sql.add("p.vendor_id = %s", p.vendor_id)


def _text(words: Sequence[str], *, any_word: bool) -> tuple[str, str, list[Any], list[Any]]:
    """(FROM addition, rank expression, its params, match params) for the words."""
    if _pg():
        tsq = _pg_tsquery(words, any_word=any_word)
        phrase = " ".join(words)
        rank = (
            "(ts_rank_cd(p.search_vector, to_tsquery('indonesian', %s)) + CASE WHEN "
            "p.search_vector @@ phraseto_tsquery('indonesian', %s) THEN "
            f"{PHRASE_BONUS} ELSE 0 END + CASE WHEN lower(p.name) LIKE %s THEN {HEAD_BONUS} "
            "ELSE 0 END)"
        )
        return (
            "",
            rank,
            [tsq, phrase, _head(words)],
            ["p.search_vector @@ to_tsquery('indonesian', %s)", tsq],
        )
    match = _fts5_query(words, any_word=any_word)
    phrase = _fts5_phrase(words)
    rank = (
        "(-bm25(catalog_product_fts, 10.0, 4.0, 1.0) + CASE WHEN p.id IN (SELECT rowid FROM "  # noqa: S608
        f"catalog_product_fts WHERE catalog_product_fts MATCH %s) THEN {PHRASE_BONUS} ELSE 0 END"
        f" + CASE WHEN lower(p.name) LIKE %s THEN {HEAD_BONUS} ELSE 0 END)"
    )
    return (
        " JOIN catalog_product_fts ON catalog_product_fts.rowid = p.id",
        rank,
        [phrase, _head(words)],
        ["catalog_product_fts MATCH %s", match],
    )


# --- ordering and cursor ----------------------------------------------------------------------

# sort → (key column, ORDER BY, keyset comparison). The order is on real columns, so the
# partial indexes (price, id) and (published_at, id) deliver rows already sorted and the scan
# stops after the page; the cursor is a row comparison on the same columns.
_ORDERS: dict[str, tuple[str, str, str]] = {
    SortOrder.PRICE_ASC: ("p.price_idr", "p.price_idr ASC, p.id ASC", ">"),
    SortOrder.PRICE_DESC: ("p.price_idr", "p.price_idr DESC, p.id DESC", "<"),
    SortOrder.NEWEST: ("p.published_at", "p.published_at DESC, p.id DESC", "<"),
}


def _cursor_value(sort: str, value: Any) -> Any:
    """A cursor's key as the database compares it (published_at travels as epoch µs)."""
    if sort == SortOrder.NEWEST:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))
        return connection.ops.adapt_datetimefield_value(moment)
    return int(value)


def _cursor_key(sort: str, value: Any) -> int | float:
    if sort == SortOrder.NEWEST:
        return epoch_us(parse_datetime(value) if isinstance(value, str) else value)
    return float(value) if isinstance(value, float) else int(value or 0)


def _match(
    p: SearchParams, words: Sequence[str], *, any_word: bool
) -> tuple[str, _Sql, str, list[Any]]:
    """(join, filters incl. the text match, rank expression, rank params)."""
    sql = _Sql()
    _filters(p, sql)
    join, rank, rank_params = "", "0", list[Any]()
    if words:
        join, rank, rank_params, match = _text(words, any_word=any_word)
        sql.add(match[0], match[1])
    return join, sql, rank, rank_params


def _count(p: SearchParams, words: Sequence[str], *, any_word: bool) -> tuple[int, bool]:
    """How many match, counted up to ``COUNT_CAP`` (a broad word never counts a million)."""
    sql = _Sql()
    _filters(p, sql)
    join = ""
    if words:
        join, _rank, _rp, match = _text(words, any_word=any_word)
        sql.add(match[0], match[1])
    where = " AND ".join(sql.where)
    query = (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM catalog_product p{join} WHERE {where} "  # noqa: S608
        "LIMIT %s) n"
    )
    with connection.cursor() as cur:
        cur.execute(query, [*sql.params, COUNT_CAP + 1])
        total = int(cur.fetchone()[0])
    return min(total, COUNT_CAP), total > COUNT_CAP


def _rows(
    p: SearchParams, words: Sequence[str], *, any_word: bool, limit: int
) -> tuple[list[tuple[Any, ...]], str]:
    """One page of (id, sort key) rows and the sort actually used."""
    join, sql, rank, rank_params = _match(p, words, any_word=any_word)
    sort = p.sort if p.sort in _ORDERS else SortOrder.RELEVANCE
    if sort == SortOrder.RELEVANCE and not words:
        sort = SortOrder.NEWEST
    values = None
    if p.cursor:
        values = rules.decode_cursor(p.cursor, 2)
        if values is None:
            raise BadCursor(p.cursor)
    if sort == SortOrder.RELEVANCE:
        where = " AND ".join(sql.where)
        inner = f"SELECT p.id, {rank} AS rank FROM catalog_product p{join} WHERE {where}"  # noqa: S608
        outer, outer_params = "", list[Any]()
        if values is not None:
            outer = "WHERE (s.rank < %s OR (s.rank = %s AND s.id < %s))"
            outer_params = [values[0], values[0], int(values[1])]
        query = (
            f"SELECT s.id, s.rank FROM ({inner}) s {outer} "  # noqa: S608
            "ORDER BY s.rank DESC, s.id DESC LIMIT %s"
        )
        params = [*rank_params, *sql.params, *outer_params, limit + 1]
    else:
        column, order, cmp = _ORDERS[sort]
        if values is not None:
            sql.add(
                f"({column}, p.id) {cmp} (%s, %s)", _cursor_value(sort, values[0]), int(values[1])
            )
        where = " AND ".join(sql.where)
        query = (
            f"SELECT p.id, {column} FROM catalog_product p{join} WHERE {where} "  # noqa: S608
            f"ORDER BY {order} LIMIT %s"
        )
        params = [*sql.params, limit + 1]
    with connection.cursor() as cur:
        cur.execute(query, params)
        return list(cur.fetchall()), sort


@dataclass(frozen=True)
class _Plan:
    words: list[str]
    any_word: bool
    corrected: list[str] | None
    total: int
    capped: bool


def _plan(p: SearchParams) -> _Plan:
    """Which words, joined how: all words; else corrected words; else any word. Decided on
    counts, which ignore the cursor, so every page of a search follows the same plan."""
    words = rules.query_words(p.q)
    total, capped = _count(p, words, any_word=False)
    if not words or total:
        return _Plan(words, False, None, total, capped)
    corrected = corrected_words(words)
    if corrected is not None:
        total, capped = _count(p, corrected, any_word=False)
        if total:
            return _Plan(corrected, False, corrected, total, capped)
    if len(words) > 1:
        use = corrected or words
        total, capped = _count(p, use, any_word=True)
        return _Plan(use, True, corrected if total else None, total, capped)
    return _Plan(words, False, None, 0, False)


# --- typo correction --------------------------------------------------------------------------


def _known(words: Iterable[str]) -> set[str]:
    return set(SearchWord.objects.filter(word__in=list(words)).values_list("word", flat=True))


def _nearest(word: str) -> str | None:
    if len(word) < 3 or not word.isalpha():
        return None
    if _pg():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT word FROM catalog_searchword WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC, word LIMIT 1",
                [word, word],
            )
            row = cur.fetchone()
        return str(row[0]) if row else None
    # SQLite serves the embedded demo: its lexicon is small enough to compare every word of a
    # similar length (so a typo in the first letter is corrected too, as with pg_trgm).
    candidates = list(
        SearchWord.objects.annotate(n=Length("word"))
        .filter(n__gte=len(word) - 2, n__lte=len(word) + 2)
        .values_list("word", flat=True)[:50000]
    )
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return close[0] if close else None


def corrected_words(words: Sequence[str]) -> list[str] | None:
    """The query with unknown words replaced by their nearest known word; None if no change."""
    known = _known(words)
    fixed = [w if w in known else (_nearest(w) or w) for w in words]
    return fixed if fixed != list(words) else None


# --- entry point ------------------------------------------------------------------------------


def search(p: SearchParams, *, facets: bool = False) -> SearchPage:
    limit = max(1, min(p.limit or DEFAULT_LIMIT, MAX_LIMIT))
    plan = _plan(p)
    rows, sort = (
        _rows(p, plan.words, any_word=plan.any_word, limit=limit) if plan.total else ([], p.sort)
    )
    if not plan.total and p.cursor and rules.decode_cursor(p.cursor, 2) is None:
        raise BadCursor(p.cursor)
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [r[0] for r in rows]
    by_id = {
        product.pk: product
        for product in Product.objects.filter(pk__in=ids)
        .select_related("vendor_province", "category")
        .prefetch_related("images")
    }
    items = [by_id[i] for i in ids if i in by_id]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = rules.encode_cursor([_cursor_key(sort, last[1]), int(last[0])])
    page = SearchPage(
        items=items,
        next_cursor=next_cursor,
        total=plan.total,
        total_capped=plan.capped,
        corrected_query=" ".join(plan.corrected) if plan.corrected else None,
    )
    if facets:
        page.facets = facet_counts(p, plan.words, any_word=plan.any_word)
    return page


def facets(p: SearchParams) -> dict[str, list[tuple[Any, str, int]]]:
    """Facet counts alone (the catalog page loads them after the results), same plan."""
    plan = _plan(p)
    return facet_counts(p, plan.words, any_word=plan.any_word)


def facet_counts(
    p: SearchParams, words: Sequence[str], *, any_word: bool = False
) -> dict[str, list[tuple[Any, str, int]]]:
    """Counts per sub-category, vendor class, PDN and vendor province over the match set."""
    sql = _Sql()
    _filters(p, sql)
    join = ""
    if words:
        join, _rank, _rp, match = _text(words, any_word=any_word)
        sql.add(match[0], match[1])
    where = " AND ".join(sql.where)
    base = f"FROM catalog_product p{join} WHERE {where}"
    out: dict[str, list[tuple[Any, str, int]]] = {}
    with connection.cursor() as cur:
        cur.execute(f"SELECT p.category_id, COUNT(*) {base} GROUP BY p.category_id", sql.params)
        per_category = Counter({int(k): int(n) for k, n in cur.fetchall()})
        cur.execute(f"SELECT p.vendor_class, COUNT(*) {base} GROUP BY p.vendor_class", sql.params)
        classes = dict(cur.fetchall())
        cur.execute(f"SELECT p.is_pdn, COUNT(*) {base} GROUP BY p.is_pdn", sql.params)
        pdn = {bool(k): int(n) for k, n in cur.fetchall()}
        cur.execute(
            f"SELECT p.vendor_province_id, COUNT(*) {base} GROUP BY p.vendor_province_id",
            sql.params,
        )
        provinces = dict(cur.fetchall())
    out["category"] = _roll_up(per_category, p.category_id)
    from digipay.vendors.rules import UmkmClass

    out["vendor_class"] = [
        (value, str(label), int(classes[value]))
        for value, label in UmkmClass.choices
        if classes.get(value)
    ]
    out["pdn"] = [(True, "PDN", pdn.get(True, 0)), (False, "Non-PDN", pdn.get(False, 0))]
    from digipay.accounts.models import Province

    names = dict(Province.objects.filter(code__in=provinces).values_list("code", "name"))
    out["province"] = sorted(
        ((code, str(names.get(code) or code), int(n)) for code, n in provinces.items()),
        key=lambda t: (-t[2], t[1]),
    )
    return out


def _roll_up(per_category: Counter[int], selected: int | None) -> list[tuple[Any, str, int]]:
    """Counts per child of the selected category (or per top-level category)."""
    categories = {c.pk: c for c in Category.objects.all()}
    children = [c for c in categories.values() if c.parent_id == selected]
    totals: Counter[int] = Counter()
    for category_id, n in per_category.items():
        node = categories.get(category_id)
        while node is not None and node.parent_id != selected:
            node = categories.get(node.parent_id) if node.parent_id else None
        if node is not None:
            totals[node.pk] += n
    return [
        (c.pk, c.name, totals[c.pk])
        for c in sorted(children, key=lambda c: (c.position, c.name))
        if totals[c.pk]
    ]


# --- index maintenance ------------------------------------------------------------------------


def index_products(products: Iterable[Product]) -> None:
    """Keep the search side tables in step with products (inside the caller's transaction):
    the lexicon on both databases, the FTS5 rows on SQLite (PostgreSQL generates its own)."""
    products = list(products)
    if not products:
        return
    lexicon: set[str] = set()
    for product in products:
        lexicon |= rules.lexicon_words(product.name) | rules.lexicon_words(product.vendor_name)
    SearchWord.objects.bulk_create(
        [SearchWord(word=w) for w in sorted(lexicon)], ignore_conflicts=True, batch_size=1000
    )
    if _pg():
        return
    with connection.cursor() as cur:
        ids = [p.pk for p in products]
        marks = ", ".join(["%s"] * len(ids))
        cur.execute(f"DELETE FROM catalog_product_fts WHERE rowid IN ({marks})", ids)  # noqa: S608
        cur.executemany(
            "INSERT INTO catalog_product_fts(rowid, name, vendor_name, description) "
            "VALUES (%s, %s, %s, %s)",
            [
                (
                    p.pk,
                    rules.stemmed(p.name),
                    rules.stemmed(p.vendor_name),
                    rules.stemmed(p.description),
                )
                for p in products
            ],
        )


def epoch_us(moment: datetime | None) -> int:
    """Microseconds since 1970 (exact integer arithmetic; a naive value is UTC, as SQLite
    returns them)."""
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
