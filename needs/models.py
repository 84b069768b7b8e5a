"""The needs ledger (需求台账), the project list (项目清单), claims and service (R16, R17).

Models hold fields and constraints; every change goes through ``needs.services``
and writes one ``NeedsEvent`` (append-only).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.models import Community, ResidentGroup
from organisations.models import Organisation
from yishi.history import AppendOnlyQuerySet

from .enums import (
    DEFAULT_RESPONSE_DAYS,
    Channel,
    CheckinMethod,
    ClaimStatus,
    NeedCategory,
    NeedsEventKind,
    NeedStatus,
    ProjectStatus,
    SignupStatus,
)

User = settings.AUTH_USER_MODEL


class ResponseTime(models.Model):
    """A community's own response time for needs (R16); without a row it is 14 days."""

    community = models.OneToOneField(
        Community, on_delete=models.PROTECT, related_name="need_response_time", verbose_name=_("社区")
    )
    days = models.PositiveSmallIntegerField(_("回应时限（天）"), default=DEFAULT_RESPONSE_DAYS)

    class Meta:
        verbose_name = _("需求回应时限")
        verbose_name_plural = _("需求回应时限")
        constraints = [
            models.CheckConstraint(condition=Q(days__gte=1) & Q(days__lte=90), name="need_response_days_range"),
        ]


class ServiceProject(models.Model):
    """A service project on the community's list, claimed and served by one organisation."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="service_projects", verbose_name=_("社区")
    )
    title = models.CharField(_("项目名称"), max_length=80)
    description = models.TextField(_("项目内容"), max_length=4000)
    people_target = models.PositiveIntegerField(_("计划服务人数"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.LISTED)
    listed_at = models.DateTimeField(_("列入时间"), default=timezone.now)
    listed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("列入人"))
    report = models.TextField(_("完成报告"), max_length=4000, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    close_reason = models.TextField(_("关闭理由"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["-listed_at"]
        indexes = [models.Index(fields=["community", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="project_period_order"),
            models.CheckConstraint(condition=Q(people_target__gte=1), name="project_people_target_positive"),
            models.CheckConstraint(
                condition=~Q(status=ProjectStatus.COMPLETED) | (~Q(report="") & Q(completed_at__isnull=False)),
                name="project_completed_has_report",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Need(models.Model):
    """需求: raised by a resident, or recorded by staff from a channel on someone's behalf or anonymously."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="needs", verbose_name=_("社区"))
    group = models.ForeignKey(
        ResidentGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="needs",
        verbose_name=_("居民小组"),
    )
    text = models.TextField(_("需求内容"), max_length=1000)
    category = models.CharField(_("类别"), max_length=16, choices=NeedCategory.choices)
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    # Who the need is from: the resident themself, a named resident staff recorded it for, or nobody (anonymous).
    resident = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="needs", verbose_name=_("需求人")
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人"))
    status = models.CharField(_("状态"), max_length=16, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    raised_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    due_at = models.DateTimeField(_("回应期限"))
    answered_at = models.DateTimeField(_("回应时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("回应人")
    )
    answer_reason = models.TextField(_("回应说明"), max_length=2000, blank=True)
    project = models.ForeignKey(
        ServiceProject, on_delete=models.PROTECT, null=True, blank=True, related_name="needs",
        verbose_name=_("服务项目"),
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged", verbose_name=_("合并到")
    )

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求")
        ordering = ["-raised_at"]
        indexes = [
            # The overdue list: open needs of a community past their due instant.
            models.Index(fields=["community", "status", "due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=[NeedStatus.LISTED, NeedStatus.MET]) | Q(project__isnull=False),
                name="need_listed_has_project",
            ),
            models.CheckConstraint(
                condition=~Q(status=NeedStatus.MERGED) | Q(merged_into__isnull=False), name="need_merged_has_target"
            ),
            models.CheckConstraint(
                condition=~Q(status=NeedStatus.DECLINED) | ~Q(answer_reason=""), name="need_declined_has_reason"
            ),
            models.CheckConstraint(condition=~Q(merged_into=models.F("pk")), name="need_not_merged_into_self"),
            models.CheckConstraint(condition=Q(due_at__gt=models.F("raised_at")), name="need_due_after_raised"),
        ]

    def __str__(self) -> str:
        return self.text[:30]

    @property
    def anonymous(self) -> bool:
        return self.resident_id is None

    @property
    def on_behalf(self) -> bool:
        return self.recorded_by_id != self.resident_id

    def is_overdue(self, now=None) -> bool:
        return self.status == NeedStatus.OPEN and (now or timezone.now()) >= self.due_at


class NeedSupport(models.Model):
    """我也需要: a resident supports someone else's need, at most once."""

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="supports", verbose_name=_("需求"))
    resident = models.ForeignKey(User, on_delete=models.PROTECT, related_name="need_supports",
                                 verbose_name=_("居民"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("我也需要")
        verbose_name_plural = _("我也需要")
        constraints = [
            models.UniqueConstraint(fields=["need", "resident"], name="need_support_once"),
        ]


class Claim(models.Model):
    """认领: an organisation offers to run a listed project with a plan; staff confirm exactly one."""

    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT, related_name="claims",
                                verbose_name=_("服务项目"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="claims",
                                     verbose_name=_("认领组织"))
    plan = models.TextField(_("服务计划"), max_length=4000)
    status = models.CharField(_("状态"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    claimed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("认领人"))
    claimed_at = models.DateTimeField(_("认领时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("确认人")
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decline_reason = models.TextField(_("未获确认的原因"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("项目认领")
        verbose_name_plural = _("项目认领")
        ordering = ["claimed_at"]
        constraints = [
            # R17: exactly one confirmed claim per project, also under concurrent confirms.
            models.UniqueConstraint(
                fields=["project"], condition=Q(status=ClaimStatus.CONFIRMED), name="claim_one_confirmed_per_project"
            ),
            models.UniqueConstraint(
                fields=["project", "organisation"], condition=Q(status=ClaimStatus.PENDING),
                name="claim_one_pending_per_organisation",
            ),
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.DECLINED) | ~Q(decline_reason=""), name="claim_declined_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.project}"


class ServiceRecord(models.Model):
    """服务记录: one day's service by the confirmed organisation."""

    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT, related_name="records",
                                verbose_name=_("服务项目"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="service_records",
                                     verbose_name=_("服务组织"))
    served_on = models.DateField(_("服务日期"))
    people_served = models.PositiveIntegerField(_("服务人次"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=7, decimal_places=1)
    volunteers = models.PositiveIntegerField(_("志愿者人数"), default=0)
    notes = models.TextField(_("说明"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人"))
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        ordering = ["-served_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="service_hours_positive"),
        ]


class ServiceRating(models.Model):
    """A resident's 1–5 stars for a completed project, once."""

    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT, related_name="ratings",
                                verbose_name=_("服务项目"))
    resident = models.ForeignKey(User, on_delete=models.PROTECT, related_name="service_ratings",
                                 verbose_name=_("居民"))
    stars = models.PositiveSmallIntegerField(_("评分"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务评价")
        verbose_name_plural = _("服务评价")
        constraints = [
            models.UniqueConstraint(fields=["project", "resident"], name="service_rating_once"),
            models.CheckConstraint(condition=Q(stars__gte=1) & Q(stars__lte=5), name="service_rating_range"),
        ]


class NeedsEvent(models.Model):
    """What happened to a need, project or claim, by whom (and for whom); append-only."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    kind = models.CharField(_("事项"), max_length=24, choices=NeedsEventKind.choices)
    need = models.ForeignKey(Need, on_delete=models.PROTECT, null=True, blank=True, related_name="events",
                             verbose_name=_("需求"))
    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="events", verbose_name=_("服务项目"))
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="events",
                              verbose_name=_("认领"))
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("经办人"))
    on_behalf_of = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("代为办理"))
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    reason = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("需求与项目记录")
        verbose_name_plural = _("需求与项目记录")
        ordering = ["pk"]


class Activity(models.Model):
    """活动: one dated event of a service project that residents sign up for (R25)."""

    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT, related_name="activities",
                                verbose_name=_("服务项目"))
    # The project's community, copied so the public calendar reads one index.
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="activities",
                                  verbose_name=_("社区"))
    title = models.CharField(_("活动名称"), max_length=80)
    description = models.TextField(_("活动内容"), max_length=2000, blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=120)
    capacity = models.PositiveIntegerField(_("名额"))
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人"))
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["starts_at", "pk"]
        indexes = [
            # The public calendar: a community's activities from a day on.
            models.Index(fields=["community", "starts_at"]),
            # The day-before reminder: activities starting in a window.
            models.Index(fields=["starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1) & Q(capacity__lte=10000),
                                   name="activity_capacity_range"),
            models.CheckConstraint(condition=Q(min_age__isnull=True) | Q(min_age__lte=120),
                                   name="activity_min_age_range"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class Signup(models.Model):
    """报名: a verified resident's place at an activity; once per resident (a cancelled one is taken up again)."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups", verbose_name=_("活动"))
    resident = models.ForeignKey(User, on_delete=models.PROTECT, related_name="activity_signups",
                                 verbose_name=_("居民"))
    status = models.CharField(_("状态"), max_length=16, choices=SignupStatus.choices, default=SignupStatus.SIGNED_UP)
    signed_up_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("取消人"))
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                      verbose_name=_("签到经办人"))
    checkin_method = models.CharField(_("签到方式"), max_length=8, choices=CheckinMethod.choices, blank=True)

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        ordering = ["signed_up_at", "pk"]
        constraints = [
            # R25: a resident signs up once per activity, also under double taps.
            models.UniqueConstraint(fields=["activity", "resident"], name="signup_once_per_activity"),
            models.CheckConstraint(
                condition=~Q(status=SignupStatus.CANCELLED) | Q(checked_in_at__isnull=True),
                name="signup_cancelled_not_checked_in",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | ~Q(checkin_method=""), name="signup_checkin_has_method"
            ),
        ]
        indexes = [models.Index(fields=["resident", "status"])]

    @property
    def active(self) -> bool:
        return self.status == SignupStatus.SIGNED_UP
