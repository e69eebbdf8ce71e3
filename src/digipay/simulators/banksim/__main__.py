"""``python -m digipay.simulators.banksim --config PATH --host 127.0.0.1 --port 8100``.

Without ``--config`` the demo configuration next to this module is used (four Himbara banks
and two others, partner DIGIPAY, demo keys). ``--keygen PREFIX`` writes a new RSA key pair
(``PREFIX_private.pem``, ``PREFIX_public.pem``) and exits. ``--reset`` deletes the database file
first, so that balances start again from the config; ``--database PATH`` overrides the config's
database (the demo config keeps everything in memory).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from digipay.simulators.banksim.config import DEMO_CONFIG, ConfigError, load_config
from digipay.snap import signing


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digipay banksim",
        description="Bank simulator: SNAP banks with accounts, transfers, notifications, faults.",
    )
    parser.add_argument(
        "--config", type=Path, default=DEMO_CONFIG, help="JSON (or YAML) config file"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8100, help="port to listen on")
    parser.add_argument(
        "--database", help="SQLite file (or :memory:), overriding the config's database"
    )
    parser.add_argument("--reset", action="store_true", help="delete the database file first")
    parser.add_argument(
        "--notify-url", help="where to POST notifications, overriding the config's URL"
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level")
    parser.add_argument(
        "--keygen", metavar="PREFIX", help="write PREFIX_private.pem and PREFIX_public.pem, exit"
    )
    return parser


def keygen(prefix: str) -> tuple[Path, Path]:
    private_pem, public_pem = signing.generate_key_pair()
    private_path = Path(f"{prefix}_private.pem")
    public_path = Path(f"{prefix}_public.pem")
    if private_path.exists() or public_path.exists():
        raise FileExistsError(f"{private_path} or {public_path} already exists")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_text(private_pem, encoding="utf-8")
    private_path.chmod(0o600)
    public_path.write_text(public_pem, encoding="utf-8")
    return private_path, public_path


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.keygen:
        try:
            private_path, public_path = keygen(args.keygen)
        except FileExistsError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"private key: {private_path}\npublic key:  {public_path}")
        return 0
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"banksim: {exc}", file=sys.stderr)
        return 2
    if args.database:
        config = dataclasses.replace(config, database=args.database)
    if args.notify_url:
        config = dataclasses.replace(
            config, notifications=dataclasses.replace(config.notifications, url=args.notify_url)
        )
    if config.database != ":memory:":
        database = Path(config.database)
        if args.reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        database.parent.mkdir(parents=True, exist_ok=True)

    import uvicorn

    from digipay.simulators.banksim.app import create_app

    app = create_app(config)
    print(
        f"banksim on http://{args.host}:{args.port} — banks "
        + ", ".join(f"{b.code} {b.short_name}" for b in config.banks)
        + f"; database {config.database}",
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
