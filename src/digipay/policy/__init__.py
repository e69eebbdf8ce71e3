"""Policy: the configurable rules of DOMAIN.md as effective-dated data.

Payment limits, the UP ceiling and fraction, the KKP share, the GUP threshold, auto-cancel
periods and the negotiation round limit are rows with ``valid_from``/``valid_to``; services ask
for the value in force on the transaction's date. DJPb admins add new values (audited); a value
never changes in place for a date already passed. May import ``core``, ``audit``, ``accounts``.
"""
