"""The transactional outbox: one row per message that must reach someone.

A service writes the row in the same transaction as the change it reports
(``outbox.services.outbox_put``), so a committed change always has its
message and a rolled-back one never has. A relay (``outbox_relay``) hands each
row to the handler registered for its topic and marks it delivered; the row
is never deleted, and a failing row is retried with growing pauses.

``ref`` is the id of the row the message is about (a ``ProposalEvent``, a
``Notification``); the outbox knows no other app's models.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    topic = models.CharField(_("主题"), max_length=64)
    ref = models.BigIntegerField(_("对象编号"))
    created_at = models.DateTimeField(_("写入时间"), default=timezone.now)
    # Not tried before this time: a new row is due at once, a failed one after its pause.
    due_at = models.DateTimeField(_("下次投递时间"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    # A relay that claims a row leases it until claimed_until; a relay that dies
    # (SIGKILL, lost machine) leaves the lease to run out, then another relay takes the row.
    claim = models.CharField(_("领取标记"), max_length=32, blank=True)
    claimed_until = models.DateTimeField(_("领取到期"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    delivered_at = models.DateTimeField(_("投递时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待投递消息")
        verbose_name_plural = _("待投递消息")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["topic", "ref"], name="outbox_once_per_ref")]
        indexes = [
            # The relay's scan and the backlog's age read only pending rows, oldest first.
            models.Index(fields=["due_at", "id"], condition=Q(delivered_at__isnull=True), name="outbox_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.ref}"

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None
