"""KKP card bills: the bank's monthly bill per satker card account, the PPK's
line-by-line verification against Digipay's card payments (mismatches flagged), and the
Bendahara's payment of the bill from UP Tunai to the issuing bank.

May import every app below it (payments and down); nothing imports it but replenishment,
books, demo and config.
"""
