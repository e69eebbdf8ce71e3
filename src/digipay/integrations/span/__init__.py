"""The SPAN (treasury) link: SPM-GUP / GUP KKP / TUP / PTUP, the KPPN's decision, the SP2D.

See ``client.py`` and docs/spansim.md; errors in ``errors.py``.
"""
