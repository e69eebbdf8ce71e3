"""Treasury: the satker's imprest fund (UP Tunai and UP KKP), TUP, the year-end return, KKP
cards, and the satker's chart of accounts in the ledger (docs/adr/0008).

May import ``core``, ``audit``, ``accounts``, ``ledger`` and ``policy``.
"""
