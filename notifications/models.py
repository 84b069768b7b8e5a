"""Inbox notifications and each person's mail preferences.

A notification is created once per (user, event, kind) for a proposal event,
or once per (user, kind, key) for a scheduled message (``key`` names what it is
about, e.g. ``ballot:12``). The database enforces both, so two workers running
the same job create each row once; ``mail_status`` is then claimed with a
conditional UPDATE so each mail goes out once.

``message`` holds the title and body as message ids and parameters
(``notifications.messages``), put into words when shown: the inbox in the
page's language, mail in the recipient's. ``title`` and ``body`` keep the
text in the site's default language (the admin, and rows written before
``message`` existed, which are shown as they were stored).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from proposals.models import Proposal, ProposalEvent

from . import messages
from .enums import MailStatus, NotificationKind


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("收件人"),
    )
    kind = models.CharField(_("类别"), max_length=32, choices=NotificationKind.choices)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("议案")
    )
    event = models.ForeignKey(
        ProposalEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("议案事件"),
    )
    key = models.CharField(_("定时消息标识"), max_length=80, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), max_length=4000)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    # {"title": …, "body": …} in the JSON of notifications.messages; {} on rows older than it.
    message = models.JSONField(_("消息"), default=dict, db_default={}, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    mail_status = models.CharField(
        _("邮件"), max_length=16, choices=MailStatus.choices, default=MailStatus.PENDING
    )
    mailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_inbox_idx"),
            # The header badge counts these on every page.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
            models.Index(fields=["mail_status"], condition=Q(mail_status="digest"), name="notification_digest_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "kind"], condition=Q(event__isnull=False),
                name="notification_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "key"], condition=Q(event__isnull=True),
                name="notification_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(event__isnull=False) | ~Q(key=""), name="notification_has_source"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def shown_title(self) -> str:
        """The title in the active language (the stored text on rows without a message)."""
        data = (self.message or {}).get("title")
        return messages.render(data)[:200] if data else self.title

    @property
    def shown_body(self) -> str:
        data = (self.message or {}).get("body")
        return messages.render(data) if data else self.body


class MailPreference(models.Model):
    """Whether a person wants one daily digest instead of a mail per notification."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preference",
        verbose_name=_("用户"),
    )
    digest = models.BooleanField(_("每日汇总"), default=False)

    class Meta:
        verbose_name = _("邮件设置")
        verbose_name_plural = _("邮件设置")

    def __str__(self) -> str:
        return str(self.user)


class KindPreference(models.Model):
    """E-mail on or off for one kind. No row means on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kind_preferences",
        verbose_name=_("用户"),
    )
    kind = models.CharField(_("类别"), max_length=32, choices=NotificationKind.choices)
    email = models.BooleanField(_("发送邮件"), default=True)

    class Meta:
        verbose_name = _("通知类别设置")
        verbose_name_plural = _("通知类别设置")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="kindpreference_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"
