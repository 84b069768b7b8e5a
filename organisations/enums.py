"""Choices of the organisations app and the status transition table (R18)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    SOCIAL_ORGANISATION = "social_organisation", _("登记注册社会组织")
    SELF_ORGANISATION = "self_organisation", _("社区自组织")
    LOCAL_UNIT = "local_unit", _("驻区单位")
    NEW_ORGANISATION = "new_organisation", _("两新组织")
    PARTY_ORGANISATION = "party_organisation", _("双报到党组织")


class OrganisationStatus(models.TextChoices):
    INCUBATING = "incubating", _("孵化中")
    ACTIVE = "active", _("正常运行")
    SUSPENDED = "suspended", _("暂停")
    DISSOLVED = "dissolved", _("已解散")


OS = OrganisationStatus
TRANSITIONS: dict[str, tuple[str, ...]] = {
    OS.INCUBATING: (OS.ACTIVE, OS.DISSOLVED),
    OS.ACTIVE: (OS.SUSPENDED, OS.DISSOLVED),
    OS.SUSPENDED: (OS.ACTIVE, OS.DISSOLVED),
    OS.DISSOLVED: (),
}

# R18: who may do what.
MAY_CLAIM = (OS.ACTIVE,)
MAY_APPLY_FOR_GRANTS = (OS.INCUBATING, OS.ACTIVE)


class MemberRole(models.TextChoices):
    ADMIN = "admin", _("负责人")
    MEMBER = "member", _("成员")
    SOCIAL_WORKER = "social_worker", _("社工")


class OrganisationEventKind(models.TextChoices):
    REGISTERED = "registered", _("登记")
    ACTIVATED = "activated", _("转为正常运行")
    INCUBATION_STARTED = "incubation_started", _("开始孵化")
    INCUBATION_GRADUATED = "incubation_graduated", _("孵化出壳")
    MEMBER_ADDED = "member_added", _("添加成员")


class ConflictDecision(models.TextChoices):
    """Decisions on money or work going to an organisation, where the decider may belong to it."""

    GRANT_AWARD = "grant_award", _("确定微创投资助")
    GRANT_ACCEPT = "grant_accept", _("验收微创投报告并结算")
    CLAIM_CONFIRM = "claim_confirm", _("确认项目认领")
