"""Demo: composes every app's demo data into one set for ``make run`` and the tests.

The top of the dependency graph (below ``config``): it may import every app; nothing imports
it except the demo commands and the test fixtures.
"""

from __future__ import annotations


def load(*, full: bool = True) -> bool:
    """Load the whole demo set; False if it was already loaded.

    ``full=False`` is the tests' small world: the treasury hierarchy, its users, the two
    vendors UMKM-0001 and UMKM-0002 with a few products, UP and cards. ``full=True``
    (``make run``) adds the other demo vendors, their products with images, and checks the
    vendors' bank accounts at the bank (simulator). Each part skips what already exists.
    """
    from digipay.accounts import demo as accounts_demo
    from digipay.catalog import demo as catalog_demo
    from digipay.treasury import demo as treasury_demo
    from digipay.vendors import demo as vendors_demo

    created = accounts_demo.load()
    vendors_demo.load(full=full)
    catalog_demo.load(full=full)
    treasury_demo.load()
    return created


def counts() -> dict[str, int]:
    """What the demo set holds, for reports (``digipay demo-data`` may print it)."""
    from digipay.accounts.models import Organisation, User
    from digipay.catalog.models import Product, ProductImage
    from digipay.vendors.models import Vendor, VendorBankAccount
    from digipay.vendors.rules import BankAccountStatus, VendorStatus

    vendors = Vendor.objects.all()
    products = Product.objects.all()
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
    }
