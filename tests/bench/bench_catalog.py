"""Catalog search at scale: the search API under 8 concurrent clients, side by side with the
very same SQL run by pgbench on the same database in the same run.

Not part of ``make test`` (no timing assertions there). Run by hand; results go to
docs/benchmarks.md ("Catalog search at 1M products"):

    make bench-catalog                      # 1,000,000 products, 50,000 vendors, 8 clients, 30 s
    .venv/bin/python tests/bench/bench_catalog.py --products 20000 --vendors 1000 --duration 5

What it does:

1. (Re)creates the PostgreSQL database ``digipay_bench_catalog`` on 127.0.0.1 (``--pg-url``),
   migrates it, loads the demo organisations and issues an API token to a satker's Pemesan.
2. Generates vendors (organisation + VERIFIED vendor rows) and products with Indonesian names
   (tests/bench/catalog_vocab.py), delivery areas and the search lexicon, with ``COPY``
   (secondary indexes of catalog_product dropped during the load and rebuilt after), then
   ``VACUUM ANALYZE``. ``--reuse`` keeps an already generated database of the same size.
3. Captures the SQL each search request runs (Django test client on the real endpoint, inside
   ``CaptureQueriesContext``) and writes one pgbench script per query variant: one pgbench
   transaction = every SELECT of one request, literals inlined, each its own round trip.
4. Starts the app under uvicorn on 127.0.0.1 (2 worker processes, DEBUG=0): by default its
   threaded WSGI interface with DB_CONN_MAX_AGE=600, so each thread keeps its connection
   (``--interface asgi`` runs Django's ASGI handler instead, which opens a connection per
   request). Per query type: warm-up, then ``--duration`` seconds of ``--clients`` httpx
   clients (separate processes) choosing variants at random (seeded); then pgbench with the
   same clients, duration and variant scripts. Before each measurement it waits (up to
   ``--quiet-wait`` s) for other processes to go quiet and reports the CPU they used meanwhile.
5. Prints a markdown table (app p50/p95/p99 and req/s; raw p50/p95/p99 and tx/s; the ratios)
   and writes everything to ``var/bench_catalog/`` (results.json, the pgbench scripts, logs).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bench"))

import catalog_vocab as vocab  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "digipay_bench_catalog"
OUT = ROOT / "var" / "bench_catalog"
SEARCH_PATH = "/api/v1/catalog/search"
CLIENT_EMAIL = "pemesan@415256.demo.digipay.id"

# --- the query mix ----------------------------------------------------------------------------
# Category codes are resolved to ids of the seeded tree at run time.
QUERY_MIX: dict[str, list[dict[str, Any]]] = {
    "selective": [
        {"q": "stapler kenko hd-10"},
        {"q": "toner brother tn-2260"},
        {"q": "laptop thinkpad e14 core i7"},
        {"q": "kain batik tulis lasem"},
        {"q": "apar co2 5 kg yamato"},
        {"q": "songket palembang benang perak"},
    ],
    "broad_price": [
        {"q": "kertas", "sort": "price"},
        {"q": "printer", "sort": "price"},
        {"q": "kursi", "sort": "-price"},
        {"q": "air mineral", "sort": "price"},
        {"q": "laptop", "sort": "-price"},
        {"q": "sewa", "sort": "price"},
    ],
    "category_price": [
        {"category": "ATK", "price_min": 10000, "price_max": 50000},
        {"category": "TIK-KOMPUTER", "price_min": 5000000, "price_max": 15000000},
        {"category": "KEBERSIHAN-PEMBERSIH", "price_min": 15000, "price_max": 30000},
        {"category": "KONSUMSI-NASI", "price_max": 40000},
        {"category": "MEBEL", "price_min": 1000000, "sort": "price"},
        {"category": "PEMELIHARAAN-AC", "price_min": 100000, "price_max": 500000},
    ],
    "typo": [
        {"q": "pulpn"},
        {"q": "kertsa hvs"},
        {"q": "pembrsih lantai"},
        {"q": "stapelr kenko"},
        {"q": "kursi kantr"},
        {"q": "tisu wjah"},
    ],
}
TYPE_LABELS = {
    "selective": "Selective keyword",
    "broad_price": "Broad keyword, sorted by price",
    "category_price": "Category + price range (no q)",
    "typo": "Typo (correction path)",
}


def pg_url(base: str, db: str) -> str:
    return f"{base.rstrip('/')}/{db}"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- database -----------------------------------------------------------------------------------


def recreate_database(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(pg_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(base: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(pg_url(base, "postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


# --- data generation ----------------------------------------------------------------------------


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _copy(cur: Any, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    n = 0
    chunk: list[str] = []
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            chunk.append("\t".join(_copy_text(v) for v in row))
            n += 1
            if len(chunk) >= 20000:
                copy.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            copy.write("\n".join(chunk) + "\n")
    return n


@dataclass
class VendorRow:
    id: int
    org_id: int
    name: str
    province: str
    regency: str
    umkm_class: str
    leaves: list[str]
    legal: str
    sales: int


@dataclass
class LoadReport:
    vendors: int = 0
    products: int = 0
    listed: int = 0
    delivery_areas: int = 0
    words: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    table_mb: float = 0.0
    index_mb: float = 0.0


PROVINCE_WEIGHTS = {"31": 14, "32": 16, "33": 11, "35": 13, "36": 6, "34": 3, "51": 3}


def generate(url: str, *, vendors: int, products: int, seed: int) -> LoadReport:
    """Vendors and products through COPY; deterministic for a seed."""
    import psycopg

    from digipay.catalog import rules as catalog_rules
    from digipay.vendors import rules as vendor_rules

    rng = random.Random(seed)
    report = LoadReport()
    t0 = time.perf_counter()
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SET session_replication_role = replica"
        )  # skip FK triggers: data is consistent
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET synchronous_commit = off")
        provinces = dict(cur.execute("SELECT code, name FROM accounts_province").fetchall())
        satkers = [
            r[0]
            for r in cur.execute(
                "SELECT id FROM accounts_organisation WHERE kind = 'SATKER' ORDER BY id"
            ).fetchall()
        ]
        assert satkers, "the demo satkers are missing"
        leaves = {
            code: (cid, path, kind)
            for cid, code, path, kind in cur.execute(
                "SELECT c.id, c.code, c.path, c.default_kind FROM catalog_category c "
                "WHERE NOT EXISTS (SELECT 1 FROM catalog_category k WHERE k.parent_id = c.id)"
            ).fetchall()
        }
        missing = set(leaves) - set(vocab.ITEMS)
        assert not missing, f"no vocabulary for categories {sorted(missing)}"
        roots: dict[str, list[str]] = {}
        for code in sorted(leaves):
            roots.setdefault(code.split("-")[0], []).append(code)
        province_codes = sorted(provinces)
        weights = [PROVINCE_WEIGHTS.get(c, 1) for c in province_codes]

        # Vendors: organisation + vendors_vendor, VERIFIED.
        org_base = cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_organisation").fetchone()[
            0
        ]
        vendor_base = cur.execute("SELECT COALESCE(MAX(id), 0) FROM vendors_vendor").fetchone()[0]
        vrows: list[VendorRow] = []
        root_names = sorted(roots)
        for i in range(vendors):
            legal, prefix = rng.choice(vocab.LEGAL_PREFIX)
            name = " ".join(
                w
                for w in (
                    prefix,
                    rng.choice(vocab.NAME_A),
                    rng.choice(vocab.NAME_B),
                    rng.choice(vocab.NAME_C),
                )
                if w
            )
            province = rng.choices(province_codes, weights)[0]
            regency = rng.choice(
                vocab.REGENCIES.get(province)
                or [vocab.DEFAULT_REGENCY.format(province=provinces[province])]
            )
            root = rng.choice(root_names)
            specialty = rng.sample(roots[root], k=min(len(roots[root]), rng.randint(1, 3)))
            if rng.random() < 0.2:
                specialty.append(rng.choice(sorted(leaves)))
            sales = int(min(max(rng.lognormvariate(math.log(8e8), 1.1), 5e7), 4.9e10))
            klass = vendor_rules.umkm_class(basis="SALES", amount_idr=sales) or "MENENGAH"
            vrows.append(
                VendorRow(
                    vendor_base + i + 1,
                    org_base + i + 1,
                    name,
                    province,
                    regency,
                    klass,
                    specialty,
                    legal,
                    sales,
                )
            )
        submitted = now - timedelta(days=400)

        def org_rows() -> Iterator[tuple[Any, ...]]:
            for v in vrows:
                yield (
                    v.org_id,
                    "VENDOR",
                    f"BENCH-{v.id:07d}",
                    v.name,
                    v.regency,
                    "",
                    f"Jl. Raya {v.regency} No. {v.id % 200 + 1}",
                    True,
                    submitted,
                    None,
                    v.province,
                )

        _copy(
            cur,
            "accounts_organisation",
            [
                "id",
                "kind",
                "code",
                "name",
                "regency",
                "ministry_code",
                "address",
                "is_active",
                "created_at",
                "parent_id",
                "province_id",
            ],
            org_rows(),
        )

        def vendor_rows() -> Iterator[tuple[Any, ...]]:
            for v in vrows:
                yield (
                    v.id,
                    "VERIFIED",
                    "",
                    f"Pemilik {v.name}",
                    f"bench{v.id:059d}",
                    f"{v.id % 10000:04d}",
                    f"vendor{v.id}@bench.digipay.id",
                    f"+62812{v.id:08d}",
                    v.name,
                    v.legal,
                    "NIB",
                    f"{9120000000000 + v.id}",
                    '["47611"]',
                    f"Jl. Raya {v.regency}",
                    v.regency,
                    f"{10000000000000 + v.id:015d}",
                    v.id % 3 == 0,
                    "SALES",
                    v.sales,
                    v.umkm_class,
                    "",
                    None,
                    None,
                    "NONE",
                    None,
                    "",
                    "",
                    submitted,
                    submitted + timedelta(days=3),
                    submitted + timedelta(days=3),
                    None,
                    v.org_id,
                    satkers[v.id % len(satkers)],
                    v.province,
                    None,
                )

        report.vendors = _copy(
            cur,
            "vendors_vendor",
            [
                "id",
                "status",
                "status_before_suspension",
                "owner_name",
                "owner_person_key",
                "owner_nik_last4",
                "email",
                "phone",
                "business_name",
                "legal_form",
                "licence_kind",
                "licence_number",
                "kbli_codes",
                "address",
                "regency",
                "npwp",
                "is_pkp",
                "umkm_basis",
                "umkm_amount_idr",
                "umkm_class",
                "suket_number",
                "suket_valid_from",
                "suket_valid_until",
                "suket_status",
                "suket_reminded_for",
                "rejection_reasons",
                "suspension_reason",
                "submitted_at",
                "verified_at",
                "updated_at",
                "invited_by_id",
                "organisation_id",
                "partner_satker_id",
                "province_id",
                "verified_by_id",
            ],
            vendor_rows(),
        )
        report.seconds["vendors"] = time.perf_counter() - t0

        # Products: drop the secondary indexes, COPY, rebuild them.
        t1 = time.perf_counter()
        indexes = cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalog_product' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'catalog_product'::regclass)"
        ).fetchall()
        for name, _def in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        product_base = cur.execute("SELECT COALESCE(MAX(id), 0) FROM catalog_product").fetchone()[0]
        # Products per vendor: long-tailed (a few vendors list hundreds), interleaved in time.
        sizes = [rng.paretovariate(1.3) for _ in vrows]
        scale = products / sum(sizes)
        owner: list[int] = []
        for idx, s in enumerate(sizes):
            owner.extend([idx] * max(1, round(s * scale)))
        rng.shuffle(owner)
        owner = (owner * 2)[:products] if len(owner) < products else owner[:products]
        lexicon: set[str] = set()
        seen_names: set[str] = set()
        for v in vrows:
            lexicon |= catalog_rules.lexicon_words(v.name)
        areas: list[tuple[int, str]] = []
        span = 730 * 86400
        start = now - timedelta(days=730)
        praise, delivery = vocab.PRAISE, vocab.DELIVERY
        item_cache = {code: vocab.ITEMS[code] for code in leaves}
        all_leaves = sorted(leaves)
        counts = {"listed": 0}

        def product_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(products):
                pid = product_base + i + 1
                v = vrows[owner[i]]
                leaf = rng.choice(v.leaves) if rng.random() < 0.9 else rng.choice(all_leaves)
                cat_id, cat_path, kind = leaves[leaf]
                item = rng.choice(item_cache[leaf])
                parts = [item.base, *(rng.choice(a) for a in item.attrs)]
                brand = rng.choice(item.brands)
                if brand:
                    parts.append(brand)
                name = " ".join(parts)
                if name not in seen_names:
                    seen_names.add(name)
                    lexicon.update(catalog_rules.lexicon_words(name))
                p1, p2 = rng.sample(praise, 2)
                description = (
                    f"{name}. {p1} {p2} "
                    + rng.choice(delivery).format(regency=v.regency)
                    + f" Harga per {item.unit}."
                )
                raw_price = item.price * math.exp(rng.gauss(0, 0.35))
                step = 500 if raw_price > 100_000 else 100
                price = max(100, round(raw_price / step) * step)
                goods = kind == "GOODS"
                stock = (0 if rng.random() < 0.03 else rng.randint(1, 500)) if goods else None
                r = rng.random()
                state = (
                    "READY"
                    if r < 0.74
                    else "PUBLISHED"
                    if r < 0.92
                    else "DRAFT"
                    if r < 0.97
                    else "ARCHIVED"
                )
                listed = catalog_rules.is_listed(state=state, stock=stock, vendor_sells=True)
                counts["listed"] += listed
                created = start + timedelta(
                    seconds=span * i / products + rng.uniform(-86400, 86400)
                )
                published = (
                    created + timedelta(hours=rng.uniform(0.1, 48)) if state != "DRAFT" else None
                )
                pdn = rng.random() < 0.45
                tkdn = rng.randrange(2500, 9001, 50) if pdn and rng.random() < 0.6 else 0
                bmp = rng.randrange(0, 1501, 100) if tkdn and rng.random() < 0.5 else 0
                nationwide = rng.random() < 0.85
                if not nationwide:
                    extra = rng.sample(province_codes, rng.randint(0, 3))
                    for code in dict.fromkeys([v.province, *extra]):
                        areas.append((pid, code))
                yield (
                    pid,
                    v.name,
                    v.umkm_class,
                    f"SKU-{pid}",
                    name,
                    description,
                    cat_path,
                    item.unit,
                    price,
                    1 if rng.random() < 0.9 else rng.choice((2, 5, 10, 12)),
                    stock,
                    kind,
                    pdn,
                    tkdn,
                    bmp,
                    rng.randint(1, 14),
                    nationwide,
                    "[]",
                    state,
                    listed,
                    published,
                    created,
                    published or created,
                    cat_id,
                    None,
                    v.org_id,
                    v.id,
                    v.province,
                )

        report.products = _copy(
            cur,
            "catalog_product",
            [
                "id",
                "vendor_name",
                "vendor_class",
                "sku",
                "name",
                "description",
                "category_path",
                "unit",
                "price_idr",
                "min_order",
                "stock",
                "kind",
                "is_pdn",
                "tkdn_bp",
                "bmp_bp",
                "lead_time_days",
                "delivers_nationwide",
                "delivery_regencies",
                "state",
                "is_listed",
                "published_at",
                "created_at",
                "updated_at",
                "category_id",
                "created_by_id",
                "organisation_id",
                "vendor_id",
                "vendor_province_id",
            ],
            product_rows(),
        )
        report.listed = counts["listed"]
        report.seconds["products_copy"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        for _name, definition in indexes:
            cur.execute(definition)
        report.seconds["products_indexes"] = time.perf_counter() - t2
        report.delivery_areas = _copy(
            cur, "catalog_deliveryarea", ["product_id", "province_id"], iter(areas)
        )
        # The lexicon as search.index_products keeps it (words of names and vendor names).
        known = {r[0] for r in cur.execute("SELECT word FROM catalog_searchword").fetchall()}
        report.words = _copy(
            cur, "catalog_searchword", ["word"], ((w,) for w in sorted(lexicon - known))
        ) + len(known)
        for table in ("accounts_organisation", "vendors_vendor", "catalog_product"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT MAX(id) FROM {table}))"
            )
        conn.commit()
    t3 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        report.seconds["vacuum_analyze"] = time.perf_counter() - t3
        table, idx = conn.execute(
            "SELECT pg_table_size('catalog_product'), pg_indexes_size('catalog_product')"
        ).fetchone()
        report.table_mb, report.index_mb = table / 2**20, idx / 2**20
    report.seconds["total"] = time.perf_counter() - t0
    return report


def existing_counts(url: str) -> tuple[int, int]:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            v = conn.execute(
                "SELECT COUNT(*) FROM vendors_vendor WHERE email LIKE '%%@bench.digipay.id'"
            ).fetchone()[0]
            p = conn.execute(
                "SELECT COUNT(*) FROM catalog_product p "
                "JOIN vendors_vendor v ON v.id = p.vendor_id "
                "WHERE v.email LIKE '%%@bench.digipay.id'"
            ).fetchone()[0]
            return int(p), int(v)
    except Exception:  # no database or no tables yet
        return -1, -1


# --- the app side --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    url: str, *, port: int, workers: int, interface: str, conn_max_age: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DIGIPAY_ALLOW_DEV_SECRET": "1",
        "DJANGO_SETTINGS_MODULE": "digipay.config.settings",
        "DB_CONN_MAX_AGE": str(conn_max_age),
        "LOG_LEVEL": "WARNING",
    }
    app = (
        "digipay.config.asgi:application"
        if interface == "asgi"
        else "digipay.config.wsgi:application"
    )
    cmd = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--interface",
        "asgi3" if interface == "asgi" else "wsgi",
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    errlog = open(OUT / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        cmd, env=env, stdout=errlog, stderr=errlog, cwd=ROOT, start_new_session=True
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: see {OUT / 'server.log'}") from None
            time.sleep(0.3)
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _client(
    args: tuple[str, str, list[str], float, float, int],
) -> tuple[list[tuple[int, float, int]], float]:
    """One client process: (variant, latency seconds, status) per request until the deadline,
    and the CPU seconds this client used while measuring."""
    import httpx

    base, token, queries, start_at, stop_at, seed = args
    rng = random.Random(seed)
    out: list[tuple[int, float, int]] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        while time.time() < start_at:
            time.sleep(0.001)
        cpu0 = time.process_time()
        while True:
            v = rng.randrange(len(queries))
            t = time.perf_counter()
            if time.time() >= stop_at:
                break
            try:
                r = client.get(queries[v])
                r.read()
                status = r.status_code
            except httpx.HTTPError:
                status = -1
            out.append((v, time.perf_counter() - t, status))
        cpu = time.process_time() - cpu0
    return out, cpu


def run_clients(
    base: str, token: str, paths: list[str], clients: int, seconds: float, seed: int
) -> tuple[list[tuple[int, float, int]], float, float]:
    import httpx  # noqa: F401 - imported once here, inherited by the forked clients

    ctx = multiprocessing.get_context("fork")
    start_at = time.time() + 1.0
    stop_at = start_at + seconds
    jobs = [(base, token, paths, start_at, stop_at, seed * 1000 + n) for n in range(clients)]
    pool = ctx.Pool(clients)
    try:
        results = pool.map(_client, jobs)
        pool.close()
    finally:
        pool.join()
    rows = [r for chunk, _cpu in results for r in chunk]
    return rows, seconds, sum(cpu for _chunk, cpu in results)


# --- the raw side --------------------------------------------------------------------------------


def capture_sql(paths: list[str], token: str) -> list[list[str]]:
    """Every SELECT each request runs, as sent (psycopg client-side binding inlines literals)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    scripts = []
    for path in paths:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        statements = [q["sql"] for q in ctx.captured_queries]
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        scripts.append(selects)
    return scripts


def write_pgbench_scripts(kind: str, scripts: list[list[str]]) -> list[Path]:
    folder = OUT / "pgbench"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, statements in enumerate(scripts):
        path = folder / f"{kind}_{i}.sql"
        path.write_text("".join(" ".join(s.split()) + ";\n" for s in statements))
        files.append(path)
    return files


def run_pgbench(
    url: str, files: list[Path], *, kind: str, clients: int, seconds: int
) -> tuple[list[float], float, int]:
    logdir = OUT / "pgbench" / f"log_{kind}"
    shutil.rmtree(logdir, ignore_errors=True)
    logdir.mkdir(parents=True)
    cmd = [
        "pgbench",
        "-n",
        "-c",
        str(clients),
        "-j",
        str(min(clients, 2)),
        "-T",
        str(seconds),
        "--log",
        f"--log-prefix={logdir / 'tx'}",
    ]
    for f in files:
        cmd += ["-f", f"{f}@1"]
    cmd.append(url)
    # The same session settings as the app's connections (settings.py: "-c jit=off" unless
    # DB_JIT=1), so both sides run the statements under the same planner/executor options.
    from django.conf import settings

    env = dict(os.environ)
    options = settings.DATABASES["default"].get("OPTIONS", {}).get("options")
    if options:
        env["PGOPTIONS"] = options
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=logdir, env=env)
    (logdir / "pgbench.out").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed: {done.stderr[-2000:]}")
    latencies: list[float] = []
    for logfile in logdir.glob("tx.*"):
        for line in logfile.read_text().splitlines():
            parts = line.split()
            latencies.append(int(parts[2]) / 1e6)
    failed = (
        int(m.group(1))
        if (m := re.search(r"number of failed transactions: (\d+)", done.stdout))
        else 0
    )
    return latencies, float(seconds), failed


# --- CPU accounting ------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / TICK, total / TICK


def tree_cpu(pid: int) -> float:
    """utime + stime of a process and its descendants (the server and its workers)."""
    seconds = 0.0
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        rest = text.rsplit(")", 1)[1].split()
        children.setdefault(int(rest[1]), []).append(int(stat.parent.name))
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            rest = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds += (int(rest[11]) + int(rest[12])) / TICK
        todo.extend(children.get(p, []))
    return seconds


def _processes() -> dict[int, tuple[float, int, str]]:
    """pid -> (CPU seconds, parent pid, command line) of every process."""
    out: dict[int, tuple[float, int, str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            rest = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (
                (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            )
        except OSError:
            continue
        out[int(stat.parent.name)] = ((int(rest[11]) + int(rest[12])) / TICK, int(rest[1]), cmd)
    return out


def foreign_cpu(
    before: dict[int, tuple[float, int, str]], after: dict[int, tuple[float, int, str]], db: str
) -> float:
    """CPU seconds used meanwhile by processes that are not this benchmark's: not this process
    or its descendants (server, clients, pgbench), not PostgreSQL working for the bench
    database. Other people's test runs on a shared machine show up here."""
    me = os.getpid()

    def ours(pid: int, table: dict[int, tuple[float, int, str]]) -> bool:
        cmd = table[pid][2]
        if cmd.startswith("postgres: "):
            # A backend reads "postgres: 15/main: user db host(port) state"; others are the
            # server's own background processes.
            backend = re.match(r"postgres: (?:\S+: )?\S+ (\S+) (?:[\d.:]+\(\d+\)|\[local\])", cmd)
            return backend is None or backend.group(1) == db
        seen = set()
        while pid and pid not in seen:
            if pid == me:
                return True
            seen.add(pid)
            pid = table[pid][1] if pid in table else 0
        return False

    total = 0.0
    for pid, (cpu, _ppid, _cmd) in after.items():
        if pid in before and not ours(pid, after):
            total += cpu - before[pid][0]
    return total


QUIET_WAIT = 120.0


def wait_for_quiet(limit_pct: float = 10.0, max_wait: float | None = None) -> float:
    """Wait (up to max_wait s) until the machine is idle enough; the busy % last seen."""
    deadline = time.time() + (QUIET_WAIT if max_wait is None else max_wait)
    while True:
        b0, t0 = machine_cpu()
        time.sleep(3)
        b1, t1 = machine_cpu()
        busy = 100 * (b1 - b0) / max(t1 - t0, 1e-9)
        if busy <= limit_pct or time.time() > deadline:
            return busy
        log(f"machine {busy:.0f} % busy before the run (other processes): waiting")


class CpuMeter:
    """CPU seconds used during a phase: the machine, this process's waited-for children (the
    load generators), and optionally a server process tree."""

    def __init__(self, server_pid: int | None = None, db: str = DB_NAME) -> None:
        self.server_pid = server_pid
        self.db = db

    def __enter__(self) -> CpuMeter:
        import resource

        self.busy0, self.total0 = machine_cpu()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.kids0 = ru.ru_utime + ru.ru_stime
        self.server0 = tree_cpu(self.server_pid) if self.server_pid else 0.0
        self.procs0 = _processes()
        return self

    def __exit__(self, *exc: object) -> None:
        import resource

        busy, total = machine_cpu()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.busy = busy - self.busy0
        self.wall_cpu = total - self.total0
        self.clients = ru.ru_utime + ru.ru_stime - self.kids0
        self.server = (tree_cpu(self.server_pid) - self.server0) if self.server_pid else 0.0
        self.foreign = foreign_cpu(self.procs0, _processes(), self.db)

    def per_op_ms(self, n: int) -> dict[str, float]:
        n = max(n, 1)
        other = self.busy - self.clients - self.server - self.foreign
        return {
            "machine_busy_pct": 100 * self.busy / self.wall_cpu if self.wall_cpu else 0.0,
            "foreign_pct": 100 * self.foreign / self.wall_cpu if self.wall_cpu else 0.0,
            "clients_ms": 1000 * self.clients / n,
            "server_ms": 1000 * self.server / n,
            "rest_ms": 1000 * other / n,  # PostgreSQL for the bench database
        }


# --- statistics and report ------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k] * 1000


def summarise(latencies: list[float], seconds: float) -> dict[str, float]:
    return {
        "n": len(latencies),
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "p99": pct(latencies, 99),
        "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        "rate": len(latencies) / seconds,
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| Query type | app p50 | app p95 | app p99 | app req/s | raw p50 | raw p95 | raw p99 "
        "| raw tx/s | app/raw p50 | raw/app throughput |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, r in results["types"].items():
        a, w = r["app"], r["raw"]
        lines.append(
            f"| {TYPE_LABELS[kind]} | {a['p50']:.1f} | {a['p95']:.1f} | {a['p99']:.1f} "
            f"| {a['rate']:.0f} "
            f"| {w['p50']:.1f} | {w['p95']:.1f} | {w['p99']:.1f} | {w['rate']:.0f} "
            f"| {a['p50'] / w['p50']:.2f} | {w['rate'] / a['rate']:.2f} |"
        )
    return "\n".join(lines)


def per_variant_markdown(results: dict[str, Any]) -> str:
    lines = [
        "| Query | matches | statements | app p50 | app p95 | raw p50 | raw p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, r in results["types"].items():
        for v in r["variants"]:
            lines.append(
                f"| {TYPE_LABELS[kind].split(' ')[0]}: `{v['label']}` | {v['total']} "
                f"| {v['statements']} | {v['app_p50']:.1f} | {v['app_p95']:.1f} "
                f"| {v['raw_p50']:.1f} | {v['raw_p95']:.1f} |"
            )
    return "\n".join(lines)


def cpu_markdown(results: dict[str, Any]) -> str:
    lines = [
        "| Query type | side | machine busy | other people's processes | load generator CPU/op "
        "| app server CPU/op | PostgreSQL CPU/op |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, r in results["types"].items():
        for side in ("app", "raw"):
            c = r[side]["cpu"]
            lines.append(
                f"| {TYPE_LABELS[kind]} | {side} | {c['machine_busy_pct']:.0f} % "
                f"| {c['foreign_pct']:.0f} % "
                f"| {c['clients_ms']:.1f} ms "
                f"| {c['server_ms']:.1f} ms | {c['rest_ms']:.1f} ms |"
            )
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    global OUT, QUIET_WAIT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--vendors", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=int, default=30, help="seconds per query type and side")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of app warm-up per type")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--interface",
        choices=["asgi", "wsgi"],
        default="wsgi",
        help="wsgi: uvicorn's threaded WSGI interface (connections persist per thread); asgi: "
        "Django's ASGI handler (a new database connection per request, see docs/benchmarks.md)",
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="DB_CONN_MAX_AGE of the server (default: 600 for wsgi, 0 for asgi)",
    )
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--db-name", default=DB_NAME)
    parser.add_argument("--reuse", action="store_true", help="keep a generated DB of this size")
    parser.add_argument("--types", default=",".join(QUERY_MIX), help="comma-separated query types")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--out", default=str(OUT), help="folder for results.json, scripts, logs")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="seconds to wait before each measurement for other processes to go quiet "
        "(the CPU they use meanwhile is reported either way)",
    )
    args = parser.parse_args()

    OUT = Path(args.out).resolve()
    QUIET_WAIT = args.quiet_wait
    if args.conn_max_age is None:
        args.conn_max_age = 600 if args.interface == "wsgi" else 0
    url = pg_url(args.pg_url, args.db_name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digipay.config.settings")
    os.environ.setdefault("DIGIPAY_ALLOW_DEV_SECRET", "1")
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "args": vars(args),
        "types": {},
    }

    reuse = args.reuse and existing_counts(url) == (args.products, args.vendors)
    if not reuse:
        log(f"creating database {args.db_name}")
        recreate_database(args.pg_url, args.db_name)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from digipay import demo as demo_set
    from digipay.accounts import services as account_services
    from digipay.accounts.models import User
    from digipay.catalog.models import Category

    assert connection.vendor == "postgresql"
    if not reuse:
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        demo_set.load()
        log(f"migrated and demo loaded in {time.perf_counter() - t:.1f} s")
        log(f"generating {args.vendors:,} vendors and {args.products:,} products")
        report = generate(url, vendors=args.vendors, products=args.products, seed=args.seed)
        results["load"] = vars(report)
        (OUT / "load.json").write_text(json.dumps(results["load"], indent=2, default=str))
        log(
            f"loaded in {report.seconds['total']:.0f} s: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
            + f"; {report.listed:,} listed, {report.delivery_areas:,} delivery areas, "
            f"{report.words:,} lexicon words; table {report.table_mb:.0f} MB, "
            f"indexes {report.index_mb:.0f} MB"
        )
    else:
        log(f"reusing {args.db_name} ({args.products:,} products, {args.vendors:,} vendors)")
        # The code may have moved on since the data were generated (new indexes, new apps):
        # bring the schema up to date and refresh the planner's statistics.
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) catalog_product")
        log(f"migrated and analysed in {time.perf_counter() - t:.1f} s")
        prev = OUT / "load.json"
        if prev.exists():
            results["load"] = json.loads(prev.read_text())
    connection.close()
    if args.generate_only:
        return

    user = User.objects.get(email=CLIENT_EMAIL)
    token, _obj = account_services.issue_api_token(user)
    codes = dict(Category.objects.values_list("code", "id"))
    types = [t for t in args.types.split(",") if t]

    def to_path(params: dict[str, Any]) -> str:
        query = dict(params)
        if "category" in query:
            query["category"] = codes[query["category"]]
        return f"{SEARCH_PATH}?{urlencode(query)}"

    def label(params: dict[str, Any]) -> str:
        return " ".join(str(v) if k == "q" else f"{k}={v}" for k, v in params.items())

    plans: dict[str, dict[str, Any]] = {}
    for kind in types:
        paths = [to_path(p) for p in QUERY_MIX[kind]]
        scripts = capture_sql(paths, token)
        files = write_pgbench_scripts(kind, scripts)
        from django.test import Client

        totals = []
        for path in paths:
            body = Client().get(path, headers={"Authorization": f"Bearer {token}"}).json()
            totals.append(
                (body["total"], body["total_capped"], body["corrected_query"], len(body["items"]))
            )
        plans[kind] = {"paths": paths, "files": files, "scripts": scripts, "totals": totals}
        for params, (total, capped, corrected, n), stmts in zip(
            QUERY_MIX[kind], totals, scripts, strict=True
        ):
            log(
                f"  {kind:<15} {label(params):<45} total {total}{'+' if capped else ''} "
                f"items {n} statements {len(stmts)}"
                + (f" corrected '{corrected}'" if corrected else "")
            )
        if kind == "typo":
            bad = [label(p) for p, t in zip(QUERY_MIX[kind], totals, strict=True) if not t[2]]
            assert not bad, f"typo queries that did not go through the correction: {bad}"
    connection.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log(
        f"starting uvicorn ({args.interface}, {args.workers} workers, "
        f"DB_CONN_MAX_AGE={args.conn_max_age}) on {base}"
    )
    server = start_server(
        url,
        port=port,
        workers=args.workers,
        interface=args.interface,
        conn_max_age=args.conn_max_age,
    )
    try:
        for kind in types:
            plan = plans[kind]
            if args.warmup:
                run_clients(base, token, plan["paths"], args.clients, args.warmup, args.seed + 1)
            idle_app = wait_for_quiet()
            with CpuMeter(server.pid, args.db_name) as app_cpu:
                rows, seconds, client_cpu = run_clients(
                    base, token, plan["paths"], args.clients, args.duration, args.seed
                )
            app_cpu.clients = client_cpu  # the measured loops only (not process start-up)
            errors = sum(1 for r in rows if r[2] != 200)
            app_lat = [r[1] for r in rows if r[2] == 200]
            app = summarise(app_lat, seconds)
            app["errors"] = errors
            app["cpu"] = app_cpu.per_op_ms(len(rows))
            app["busy_before_pct"] = idle_app
            idle_raw = wait_for_quiet()
            with CpuMeter(None, args.db_name) as raw_cpu:
                raw_lat, raw_seconds, failed = run_pgbench(
                    url, plan["files"], kind=kind, clients=args.clients, seconds=args.duration
                )
            raw = summarise(raw_lat, raw_seconds)
            raw["errors"] = failed
            raw["cpu"] = raw_cpu.per_op_ms(len(raw_lat))
            raw["busy_before_pct"] = idle_raw
            raw_by_variant = per_script_latencies(kind)
            variants = []
            for i, params in enumerate(QUERY_MIX[kind]):
                mine = [r[1] for r in rows if r[0] == i and r[2] == 200]
                theirs = raw_by_variant.get(i, [])
                total, capped, corrected, _n = plan["totals"][i]
                variants.append(
                    {
                        "label": label(params) + (f" → {corrected}" if corrected else ""),
                        "path": plan["paths"][i],
                        "total": f"{total}{'+' if capped else ''}",
                        "statements": len(plan["scripts"][i]),
                        "app_p50": pct(mine, 50),
                        "app_p95": pct(mine, 95),
                        "raw_p50": pct(theirs, 50),
                        "raw_p95": pct(theirs, 95),
                    }
                )
            results["types"][kind] = {"app": app, "raw": raw, "variants": variants}
            log(
                f"{kind} (other processes: {app['cpu']['foreign_pct']:.0f} % / "
                f"{raw['cpu']['foreign_pct']:.0f} % of the machine)"
            )
            log(
                f"{kind}: app p50 {app['p50']:.1f} p95 {app['p95']:.1f} p99 {app['p99']:.1f} ms "
                f"{app['rate']:.0f} req/s errors {errors} | raw p50 {raw['p50']:.1f} "
                f"p95 {raw['p95']:.1f} p99 {raw['p99']:.1f} ms {raw['rate']:.0f} tx/s "
                f"failed {failed}"
            )
    finally:
        stop_server(server)

    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print()
    print(markdown(results))
    print()
    print(per_variant_markdown(results))
    total_errors = sum(r["app"]["errors"] + r["raw"]["errors"] for r in results["types"].values())
    print()
    print(cpu_markdown(results))
    print(f"\nerrors: {total_errors}; results in {OUT / 'results.json'}")
    if total_errors:
        sys.exit(1)


def per_script_latencies(kind: str) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for logfile in (OUT / "pgbench" / f"log_{kind}").glob("tx.*"):
        for line in logfile.read_text().splitlines():
            parts = line.split()
            out.setdefault(int(parts[3]), []).append(int(parts[2]) / 1e6)
    return out


if __name__ == "__main__":
    main()
