"""公益微创投: micro-grant calls, applications, panel scores and awards (R19).

A call's pool is a reservation on one of the community's funds; each tranche
paid and each return is a ledger entry (``funding.LedgerEntry``), linked here
one-to-one so that each happens at most once. Every change goes through
``grants.services`` and writes one ``GrantEvent`` (append-only).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.models import Community
from funding.enums import PurposeCategory
from funding.models import Fund, LedgerEntry
from organisations.models import Organisation
from yishi.history import AppendOnlyQuerySet

from .enums import ApplicationStatus, AwardStatus, CallStatus, GrantEventKind

User = settings.AUTH_USER_MODEL
MONEY = {"max_digits": 12, "decimal_places": 2}


class GrantCall(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grant_calls",
                                  verbose_name=_("社区"))
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="grant_calls", verbose_name=_("资金账户"))
    title = models.CharField(_("名称"), max_length=80)
    # R21: a call for a category may use foundation money designated for that category.
    purpose_category = models.CharField(_("资助方向"), max_length=24, choices=PurposeCategory.choices,
                                        blank=True, db_default="", default="")
    pool = models.DecimalField(_("资金池"), **MONEY)
    cap = models.DecimalField(_("单个项目上限"), **MONEY)
    applications_close = models.DateTimeField(_("申请截止"))
    ends_on = models.DateField(_("项目结束日期"))
    status = models.CharField(_("状态"), max_length=12, choices=CallStatus.choices, default=CallStatus.OPEN)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人"))
    opened_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    reservation_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="grant_call_reserved", verbose_name=_("预留流水")
    )
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("结束人"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    return_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="grant_call_returned",
        verbose_name=_("退回流水"),
    )

    class Meta:
        verbose_name = _("微创投")
        verbose_name_plural = _("微创投")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=Q(pool__gt=0), name="grant_call_pool_positive"),
            models.CheckConstraint(condition=Q(cap__gt=0) & Q(cap__lte=F("pool")), name="grant_call_cap_within_pool"),
            models.CheckConstraint(
                condition=~Q(status=CallStatus.CLOSED) | Q(closed_at__isnull=False), name="grant_call_closed_at"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class GrantApplication(models.Model):
    call = models.ForeignKey(GrantCall, on_delete=models.PROTECT, related_name="applications",
                             verbose_name=_("微创投"))
    title = models.CharField(_("项目名称"), max_length=80)
    plan = models.TextField(_("项目计划"), max_length=4000)
    amount = models.DecimalField(_("申请金额"), **MONEY)
    matched = models.DecimalField(_("配套资源（折合元）"), **MONEY)
    matched_detail = models.JSONField(_("配套资源明细"), default=dict, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="grant_applications",
        verbose_name=_("申请组织"),
    )
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=12, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)

    class Meta:
        verbose_name = _("微创投申请")
        verbose_name_plural = _("微创投申请")
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organisation"], condition=Q(organisation__isnull=False),
                name="grant_application_one_per_organisation",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="grant_application_amount_positive"),
            models.CheckConstraint(condition=Q(matched__gte=0), name="grant_application_matched_non_negative"),
        ]

    def __str__(self) -> str:
        return self.title


class GrantApplicant(models.Model):
    """A resident on an application; at most one application per call (the call is repeated for the constraint)."""

    application = models.ForeignKey(GrantApplication, on_delete=models.PROTECT, related_name="applicants",
                                    verbose_name=_("申请"))
    call = models.ForeignKey(GrantCall, on_delete=models.PROTECT, related_name="+", verbose_name=_("微创投"))
    resident = models.ForeignKey(User, on_delete=models.PROTECT, related_name="grant_applications",
                                 verbose_name=_("居民"))

    class Meta:
        verbose_name = _("申请居民")
        verbose_name_plural = _("申请居民")
        constraints = [
            models.UniqueConstraint(fields=["call", "resident"], name="grant_applicant_one_per_call"),
        ]


class GrantScore(models.Model):
    application = models.ForeignKey(GrantApplication, on_delete=models.PROTECT, related_name="scores",
                                    verbose_name=_("申请"))
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("评审人"))
    score = models.PositiveSmallIntegerField(_("分数"))
    comment = models.TextField(_("评语"), max_length=2000, blank=True)
    by_supervisor = models.BooleanField(_("监事会成员"), default=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("评审打分")
        verbose_name_plural = _("评审打分")
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="grant_score_once"),
            models.CheckConstraint(condition=Q(score__lte=100), name="grant_score_range"),
        ]


class GrantAward(models.Model):
    application = models.OneToOneField(GrantApplication, on_delete=models.PROTECT, related_name="award",
                                       verbose_name=_("申请"))
    call = models.ForeignKey(GrantCall, on_delete=models.PROTECT, related_name="awards", verbose_name=_("微创投"))
    amount = models.DecimalField(_("资助金额"), **MONEY)
    first_tranche = models.DecimalField(_("首笔拨付"), **MONEY)
    status = models.CharField(_("状态"), max_length=12, choices=AwardStatus.choices, default=AwardStatus.AWARDED)
    awarded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人"))
    awarded_at = models.DateTimeField(_("资助时间"), default=timezone.now)
    first_payment = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="grant_first_paid",
                                         verbose_name=_("首笔流水"))
    people_served = models.PositiveIntegerField(_("服务人次"), null=True, blank=True)
    spent = models.DecimalField(_("实际支出"), null=True, blank=True, **MONEY)
    report = models.TextField(_("项目报告"), max_length=4000, blank=True)
    reported_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("报告人"))
    reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("验收人"))
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    final_payment = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="grant_final_paid", verbose_name=_("尾款流水"))
    refund_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="grant_refunded", verbose_name=_("结余退回流水"))

    class Meta:
        verbose_name = _("微创投资助")
        verbose_name_plural = _("微创投资助")
        ordering = ["awarded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="grant_award_amount_positive"),
            # R19: at most 70 % on award.
            models.CheckConstraint(
                condition=Q(first_tranche__gt=0) & Q(LessThanOrEqual(F("first_tranche") * 10, F("amount") * 7)),
                name="grant_award_first_tranche_at_most_70",
            ),
            models.CheckConstraint(
                condition=Q(spent__isnull=True) | (Q(spent__gte=0) & Q(spent__lte=F("amount"))),
                name="grant_award_spent_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.amount}"

    @property
    def leverage(self):
        """Matched resources ÷ amount awarded."""
        return (self.application.matched / self.amount) if self.amount else None


class GrantEvent(models.Model):
    """What happened in a call, by whom; append-only."""

    call = models.ForeignKey(GrantCall, on_delete=models.PROTECT, related_name="events", verbose_name=_("微创投"))
    application = models.ForeignKey(GrantApplication, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="events", verbose_name=_("申请"))
    award = models.ForeignKey(GrantAward, on_delete=models.PROTECT, null=True, blank=True, related_name="events",
                              verbose_name=_("资助"))
    kind = models.CharField(_("事项"), max_length=24, choices=GrantEventKind.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("经办人"))
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("微创投记录")
        verbose_name_plural = _("微创投记录")
        ordering = ["pk"]
