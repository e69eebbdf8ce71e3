"""Accounts: organisations, users and roles, tenancy, authentication and the permission gate.

Organisations form the treasury hierarchy (DJPb → Kanwil → KPPN → Satker) plus vendors, banks
and audit bodies. A user belongs to one organisation and holds one role there. The permission
gate (``permissions.require``) decides every action: role, tenant and separation of duties.
May import ``core`` and ``audit``.
"""
