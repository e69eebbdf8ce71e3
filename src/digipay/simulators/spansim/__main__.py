"""``python -m digipay.simulators.spansim --host 127.0.0.1 --port 8300 [--database PATH]
[--config PATH] [--bank-url http://127.0.0.1:8100]``.

Without ``--config`` the demo configuration next to this module is used (client ``digipay``
with a public demo secret, SPMs kept in memory, the bank simulator at 127.0.0.1:8100).
``--database PATH`` overrides the config's database; ``--reset`` deletes that file first.
``--bank-url`` overrides where SP2Ds are credited (``none``: nowhere, credits stay PENDING).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from digipay.simulators.spansim.config import DEMO_CONFIG, ConfigError, load_config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digipay spansim",
        description="SPAN simulator: SPM-GUP/TUP/PTUP, KPPN approval, SP2D credits, faults.",
    )
    parser.add_argument("--config", type=Path, default=DEMO_CONFIG, help="JSON config file")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8300, help="port to listen on")
    parser.add_argument(
        "--database", help="SQLite file (or :memory:), overriding the config's database"
    )
    parser.add_argument("--reset", action="store_true", help="delete the database file first")
    parser.add_argument(
        "--bank-url", help="the bank simulator's base URL, overriding the config ('none': no bank)"
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"spansim: {exc}", file=sys.stderr)
        return 2
    if args.database:
        config = dataclasses.replace(config, database=args.database)
    if args.bank_url:
        url = None if args.bank_url.lower() == "none" else args.bank_url.rstrip("/")
        if url is not None and not url.startswith(("http://", "https://")):
            print("spansim: --bank-url: an http(s) URL or 'none'", file=sys.stderr)
            return 2
        config = dataclasses.replace(config, bank=dataclasses.replace(config.bank, url=url))
    if config.database != ":memory:":
        database = Path(config.database)
        if args.reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        database.parent.mkdir(parents=True, exist_ok=True)

    import uvicorn

    from digipay.simulators.spansim.app import create_app

    app = create_app(config)
    print(
        f"spansim on http://{args.host}:{args.port} — clients "
        + ", ".join(c.client_id for c in config.clients)
        + f"; database {config.database}; bank {config.bank.url or 'none'}",
        file=sys.stderr,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=2,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
