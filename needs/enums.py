"""Choices of the needs app and the transition tables of needs, projects and claims (R16, R17)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_RESPONSE_DAYS = 14  # R16: a community's response time unless it sets its own


class NeedCategory(models.TextChoices):
    ELDERLY = "elderly", _("养老助老")
    DISABILITY = "disability", _("助残")
    WOMEN = "women", _("妇女")
    CHILDREN = "children", _("儿童与青少年")
    HOME_REPAIR = "home_repair", _("居家维修")
    COURTYARD = "courtyard", _("院落维护")
    NEIGHBOUR_HELP = "neighbour_help", _("邻里互助")
    CULTURE = "culture", _("文化活动")
    OTHER = "other", _("其他")


class Channel(models.TextChoices):
    DOOR_TO_DOOR = "door_to_door", _("民情专递")
    EVENING_TALK = "evening_talk", _("夜话")
    HOME_VISIT = "home_visit", _("预约家访")
    HOTLINE = "hotline", _("热线电话")
    ONLINE = "online", _("网上提交")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待回应")
    LISTED = "listed", _("已列入项目")
    MERGED = "merged", _("已合并")
    DECLINED = "declined", _("不予列入")
    MET = "met", _("已解决")


N = NeedStatus
NEED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    N.OPEN: (N.LISTED, N.MERGED, N.DECLINED),
    N.LISTED: (N.MET, N.OPEN),  # back to OPEN when its project is closed without serving
    N.MERGED: (),
    N.DECLINED: (),
    N.MET: (),
}


class Decision(models.TextChoices):
    LIST = "list", _("列入项目")
    MERGE = "merge", _("合并")
    DECLINE = "decline", _("不予列入")


class ProjectStatus(models.TextChoices):
    LISTED = "listed", _("待认领")
    CLAIMED = "claimed", _("已认领")
    IN_SERVICE = "in_service", _("服务中")
    COMPLETED = "completed", _("已完成")
    CLOSED = "closed", _("已关闭")


P = ProjectStatus
PROJECT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    P.LISTED: (P.CLAIMED, P.CLOSED),
    P.CLAIMED: (P.IN_SERVICE, P.CLOSED),
    P.IN_SERVICE: (P.COMPLETED, P.CLOSED),
    P.COMPLETED: (),
    P.CLOSED: (),
}


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DECLINED = "declined", _("未获确认")


class NeedsEventKind(models.TextChoices):
    NEED_RAISED = "need_raised", _("提出需求")
    NEED_SUPPORTED = "need_supported", _("我也需要")
    NEED_ANSWERED = "need_answered", _("回应需求")
    NEED_MET = "need_met", _("需求已解决")
    PROJECT_LISTED = "project_listed", _("列入项目清单")
    PROJECT_CLAIMED = "project_claimed", _("认领项目")
    CLAIM_CONFIRMED = "claim_confirmed", _("确认认领")
    CLAIM_DECLINED = "claim_declined", _("认领未获确认")
    SERVICE_RECORDED = "service_recorded", _("记录服务")
    PROJECT_COMPLETED = "project_completed", _("项目完成")
    PROJECT_CLOSED = "project_closed", _("项目关闭")
    SERVICE_RATED = "service_rated", _("服务评价")
    PHOTO_ADDED = "photo_added", _("添加照片")
    PHOTO_REMOVED = "photo_removed", _("删除照片")
    # Activities of a project (R25).
    ACTIVITY_PUBLISHED = "activity_published", _("发布活动")
    ACTIVITY_SIGNED_UP = "activity_signed_up", _("活动报名")
    ACTIVITY_CANCELLED = "activity_cancelled", _("取消报名")
    ACTIVITY_CHECKED_IN = "activity_checked_in", _("活动签到")


class SignupStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("已报名")
    CANCELLED = "cancelled", _("已取消")


class CheckinMethod(models.TextChoices):
    QR = "qr", _("扫码签到")
    LIST = "list", _("名单签到")

