"""Demo: composes every app's demo data into one set for ``make run`` and the tests.

The top of the dependency graph (below ``config``): it may import every app; nothing imports
it except the demo commands and the test fixtures.
"""

from __future__ import annotations


def load() -> bool:
    """Load the whole demo set; False if it was already loaded."""
    from digipay.accounts import demo as accounts_demo
    from digipay.treasury import demo as treasury_demo

    created = accounts_demo.load()
    treasury_demo.load()
    return created
