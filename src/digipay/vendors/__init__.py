"""Vendors: UMKM registration (by invitation or self-registration naming a partner satker),
identity checks (NIK, NPWP, NIB with python-stdnum), UMKM class (PP 7/2021), bank accounts
checked by an account-name inquiry at the bank, the partner satker's verification, the Suket
PPh Final and its validity, and suspension by the KPPN.

May import ``core``, ``audit``, ``accounts``, ``policy`` and ``integrations``.
"""
