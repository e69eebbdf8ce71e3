"""The MPN (state revenue) link: tax billing codes, their status, payment reports with NTPN.

See ``client.py`` and docs/mpnsim.md; errors in ``errors.py``.
"""
