"""Audit tables. Actors and objects are stored by id, not foreign key: the log outlives them."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    tenant_id = models.BigIntegerField(help_text="Organisation whose chain holds the event")
    seq = models.BigIntegerField(help_text="Position in the tenant's chain, from 1")
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, help_text="User id; empty for the system")
    actor_role = models.CharField(max_length=40)
    action = models.CharField(max_length=80, help_text="Past tense, e.g. user.created")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "seq"], name="audit_event_tenant_seq"),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
            models.Index(fields=["actor_id", "occurred_at"], name="audit_event_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}#{self.seq} {self.action}"


class ChainHead(models.Model):
    """The last link of a tenant's chain; locked while an event is appended."""

    tenant_id = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.tenant_id}@{self.seq}"
