"""Choices of the grants app (R19) and its transition tables."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

FIRST_TRANCHE = Decimal("0.70")  # R19: at most 70 % is paid on award
MIN_PANEL = 3  # R19: a panel of at least 3 scores, one of them a supervisor
MIN_RESIDENTS = 3  # R19: residents apply as at least 3 verified residents


class CallStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已申请")
    AWARDED = "awarded", _("获资助")
    NOT_AWARDED = "not_awarded", _("未获资助")


class AwardStatus(models.TextChoices):
    AWARDED = "awarded", _("已拨付首笔")
    REPORTED = "reported", _("已报告")
    ACCEPTED = "accepted", _("报告已验收")


AWARD_TRANSITIONS = {
    AwardStatus.AWARDED: (AwardStatus.REPORTED,),
    AwardStatus.REPORTED: (AwardStatus.ACCEPTED,),
    AwardStatus.ACCEPTED: (),
}


class GrantEventKind(models.TextChoices):
    CALL_OPENED = "call_opened", _("发布微创投")
    APPLIED = "applied", _("提交申请")
    SCORED = "scored", _("评审打分")
    AWARDED = "awarded", _("确定资助")
    REPORTED = "reported", _("提交报告")
    REPORT_ACCEPTED = "report_accepted", _("验收报告")
    CALL_CLOSED = "call_closed", _("结束微创投")
