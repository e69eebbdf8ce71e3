"""Demo: composes every app's demo data into one set for ``make run`` and the tests.

The top of the dependency graph (below ``config``): it may import every app; nothing imports
it except the demo commands and the test fixtures.
"""

from __future__ import annotations


def load(*, full: bool = True) -> bool:
    """Load the whole demo set; False if it was already loaded.

    ``full=False`` is the tests' small world: the treasury hierarchy, its users, the two
    vendors UMKM-0001 and UMKM-0002 with a few products, UP and cards. ``full=True``
    (``make run``) adds the other demo vendors, their products with images, checks the
    vendors' bank accounts at the bank (simulator), and makes orders in every state with a
    cart for each Pemesan (``digipay.orders.demo``; none in the small world). Each part skips
    what already exists.
    """
    from digipay.accounts import demo as accounts_demo
    from digipay.books import demo as books_demo
    from digipay.cardbills import demo as cardbills_demo
    from digipay.catalog import demo as catalog_demo
    from digipay.invoicing import demo as invoicing_demo
    from digipay.orders import demo as orders_demo
    from digipay.payments import demo as payments_demo
    from digipay.replenishment import demo as replenishment_demo
    from digipay.treasury import demo as treasury_demo
    from digipay.vendors import demo as vendors_demo

    created = accounts_demo.load()
    vendors_demo.load(full=full)
    catalog_demo.load(full=full)
    treasury_demo.load()
    orders_demo.load(full=full)
    invoicing_demo.load(full=full)
    payments_demo.load(full=full)
    cardbills_demo.load(full=full)
    replenishment_demo.load(full=full)
    books_demo.load(full=full)
    return created


def counts() -> dict[str, int]:
    """What the demo set holds, for reports (``digipay demo-data`` prints it); orders also
    per state (``orders_menunggu_ppk``, …)."""
    from django.db.models import Count

    from digipay.accounts.models import Organisation, User
    from digipay.catalog.models import Product, ProductImage
    from digipay.orders.models import CartLine, Order, Receipt
    from digipay.orders.rules import OrderState
    from digipay.vendors.models import Vendor, VendorBankAccount
    from digipay.vendors.rules import BankAccountStatus, VendorStatus

    vendors = Vendor.objects.all()
    products = Product.objects.all()
    by_state = {
        str(row["state"]): int(row["n"])
        for row in Order.objects.order_by().values("state").annotate(n=Count("id"))
    }
    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "vendors": vendors.count(),
        "vendors_verified": vendors.filter(status=VendorStatus.VERIFIED).count(),
        "vendors_pending": vendors.filter(status=VendorStatus.PENDING).count(),
        "vendors_rejected": vendors.filter(status=VendorStatus.REJECTED).count(),
        "bank_accounts": VendorBankAccount.objects.count(),
        "bank_accounts_verified": VendorBankAccount.objects.filter(
            status=BankAccountStatus.VERIFIED
        ).count(),
        "products": products.count(),
        "products_listed": products.filter(is_listed=True).count(),
        "product_images": ProductImage.objects.count(),
        "orders": sum(by_state.values()),
        **{f"orders_{state.lower()}": by_state.get(state, 0) for state in OrderState.values},
        "bast": Receipt.objects.count(),
        "cart_lines": CartLine.objects.count(),
    }


def waiting() -> dict[str, str]:
    """What waits for each demo user with work in the demo orders, by e-mail: the orders on
    their to-do list (``orders.queries.todo``), or the lines in a Pemesan's cart."""
    from digipay.accounts.models import User
    from digipay.accounts.rules import Role
    from digipay.orders import queries as order_queries
    from digipay.orders.models import CartLine

    out: dict[str, str] = {}
    for user in User.objects.filter(email__endswith=".demo.digipay.id", is_active=True):
        if user.role == Role.PEMESAN:
            lines = CartLine.objects.filter(cart__user=user).count()
            if lines:
                out[user.email] = f"{lines} baris di keranjang"
            continue
        orders = order_queries.todo(user).count()
        if orders:
            out[user.email] = f"{orders} pesanan menunggu"
    return out
