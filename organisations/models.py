"""社会组织 and their incubation (R18).

An organisation serves one or more communities and acts through its member
users (at least one admin). Every change goes through ``organisations.services``
and leaves an ``OrganisationEvent`` (append-only).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.models import Community
from yishi.history import AppendOnlyQuerySet

from .enums import ConflictDecision, MemberRole, OrganisationEventKind, OrganisationKind, OrganisationStatus
from .validators import validate_credit_code

User = settings.AUTH_USER_MODEL

# ``credit_code__length`` in the check constraints below.
models.CharField.register_lookup(Length)


class Organisation(models.Model):
    name = models.CharField(_("名称"), max_length=80, unique=True)
    kind = models.CharField(_("类别"), max_length=24, choices=OrganisationKind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=OrganisationStatus.choices, default=OrganisationStatus.INCUBATING
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    description = models.TextField(_("简介"), max_length=2000, blank=True)
    communities = models.ManyToManyField(Community, related_name="organisations", verbose_name=_("服务社区"))
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    registered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("登记人")
    )

    class Meta:
        verbose_name = _("社会组织")
        verbose_name_plural = _("社会组织")
        ordering = ["name"]
        constraints = [
            # R18: a registered social organisation carries its 18-character credit code.
            models.CheckConstraint(
                condition=~Q(kind=OrganisationKind.SOCIAL_ORGANISATION) | Q(credit_code__length=18),
                name="organisation_social_has_credit_code",
            ),
            models.CheckConstraint(
                condition=Q(credit_code="") | Q(credit_code__length=18), name="organisation_credit_code_length"
            ),
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="organisation_credit_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationMember(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="members", verbose_name=_("组织")
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="organisation_memberships",
                             verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("组织成员")
        verbose_name_plural = _("组织成员")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="organisation_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.user}"


class Incubation(models.Model):
    """孵化: a mentor organisation incubates a new one, from start to graduation (出壳)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="incubations", verbose_name=_("被孵化组织")
    )
    mentor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mentored", verbose_name=_("孵化机构")
    )
    started_at = models.DateTimeField(_("开始"), default=timezone.now)
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人"))
    graduated_at = models.DateTimeField(_("出壳时间"), null=True, blank=True)
    graduated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("确认出壳")
    )

    class Meta:
        verbose_name = _("孵化")
        verbose_name_plural = _("孵化")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(graduated_at__isnull=True), name="incubation_one_open"
            ),
            models.CheckConstraint(condition=~Q(mentor=models.F("organisation")), name="incubation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.organisation}"


class OrganisationEvent(models.Model):
    """What happened to an organisation, by whom; append-only."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="events", verbose_name=_("组织")
    )
    kind = models.CharField(_("事项"), max_length=32, choices=OrganisationEventKind.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("经办人"))
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织记录")
        verbose_name_plural = _("组织记录")
        ordering = ["organisation", "pk"]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_kind_display()}"


class ConflictFlag(models.Model):
    """利益冲突提示: someone decided on money or work going to an organisation they belong to.

    Recorded in the same transaction as the decision (``organisations.conflicts``), shown to the
    community's supervisors; append-only. Deciding on one's own personal application is refused
    instead and leaves no flag.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    decider = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("决定人"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="conflict_flags",
                                     verbose_name=_("组织"))
    relationship = models.CharField(_("与组织的关系"), max_length=16, choices=MemberRole.choices)
    decision = models.CharField(_("决定"), max_length=24, choices=ConflictDecision.choices)
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    subject = models.CharField(_("事项"), max_length=200)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("利益冲突提示")
        verbose_name_plural = _("利益冲突提示")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "object_id"], name="conflict_flag_once_per_decision"),
        ]
        indexes = [models.Index(fields=["community", "-decided_at"], name="conflict_flag_community")]

    def __str__(self) -> str:
        return f"{self.decider} · {self.organisation} · {self.get_decision_display()}"
