"""The ``digipay`` command: Django's management commands under one name.

``digipay demo-data``, ``digipay audit verify``, ``digipay migrate``, ``digipay runserver`` ...
Hyphenated names map to the commands' module names. ``digipay banksim`` starts the bank
simulator (docs/banksim.md), ``digipay mpnsim`` the MPN (tax billing) simulator (docs/mpnsim.md)
and ``digipay spansim`` the SPAN (treasury: SPM → SP2D) simulator (docs/spansim.md); they run
without Django. ``digipay simulate`` drives the payment cycle with generated satkers, vendors
and orders and checks the invariants (``digipay.demo.simulate``, docs/adr/0025).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    argv = list(sys.argv)
    if len(argv) > 1 and argv[1] == "banksim":
        # The bank simulator is a separate program: it must not load Django or the domain.
        from digipay.simulators.banksim.__main__ import main as banksim

        sys.exit(banksim(argv[2:]))
    if len(argv) > 1 and argv[1] == "mpnsim":
        from digipay.simulators.mpnsim.__main__ import main as mpnsim

        sys.exit(mpnsim(argv[2:]))
    if len(argv) > 1 and argv[1] == "spansim":
        from digipay.simulators.spansim.__main__ import main as spansim

        sys.exit(spansim(argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digipay.config.settings")
    if len(argv) > 1 and argv[1] == "simulate":
        # The payment cycle under load, against the real simulators (docs/adr/0025).
        sys.exit(_simulate(argv[2:]))
    from django.core.management import execute_from_command_line

    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


def _simulate(args: list[str]) -> int:
    """``--database-url`` must be in the environment before Django reads its settings."""
    for i, arg in enumerate(args):
        if arg == "--database-url" and i + 1 < len(args):
            os.environ["DATABASE_URL"] = args[i + 1]
        elif arg.startswith("--database-url="):
            os.environ["DATABASE_URL"] = arg.split("=", 1)[1]
    import django

    django.setup()
    from digipay.demo.simulate import main as simulate

    return simulate(args)


if __name__ == "__main__":
    main()
