"""States of an election and how a voter's ballot reached the box.

An election is SCHEDULED from opening until its first round is counted; its phase
inside that time (nominations, candidates published, voting, due for counting)
follows from the clock, not from a stored state, so a stopped worker never lets
a nomination or a ballot through late.

    SCHEDULED ──count──> COMPLETED          every seat filled, winners seated
        │      └──────> INVALID            half of the roll or fewer voted
        │      └──────> AWAITING_RUNOFF ──runoff opened──> RUNOFF ──count──> COMPLETED
        └─(too few candidates when voting opens)─> CANCELLED            └──> AWAITING_RUNOFF
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ElectionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("进行中")
    RUNOFF = "runoff", _("第二轮投票中")
    AWAITING_RUNOFF = "awaiting_runoff", _("待组织第二轮投票")
    COMPLETED = "completed", _("已产生全部成员")
    INVALID = "invalid", _("投票无效")
    CANCELLED = "cancelled", _("未能举行")


OPEN_STATUSES = (ElectionStatus.SCHEDULED, ElectionStatus.RUNOFF, ElectionStatus.AWAITING_RUNOFF)

TRANSITIONS = {
    ElectionStatus.SCHEDULED: {
        ElectionStatus.COMPLETED, ElectionStatus.INVALID, ElectionStatus.AWAITING_RUNOFF,
        ElectionStatus.CANCELLED,
    },
    ElectionStatus.AWAITING_RUNOFF: {ElectionStatus.RUNOFF},
    ElectionStatus.RUNOFF: {ElectionStatus.COMPLETED, ElectionStatus.AWAITING_RUNOFF},
}


class Phase(models.TextChoices):
    NOMINATION = "nomination", _("提名中")
    CANDIDATES = "candidates", _("候选人已公布")
    VOTING = "voting", _("投票中")
    COUNTING = "counting", _("待计票")
    CLOSED = "closed", _("已结束")


class VoteMethod(models.TextChoices):
    ONLINE = "online", _("网上投票")
    PAPER = "paper", _("纸质选票")


class CandidateResult(models.TextChoices):
    ELECTED = "elected", _("当选")
    RUNOFF = "runoff", _("进入第二轮")
    NOT_ELECTED = "not_elected", _("未当选")


class ElectionEventKind(models.TextChoices):
    OPENED = "opened", _("发起推选")
    NOMINATED = "nominated", _("提名候选人")
    ROLL_FROZEN = "roll_frozen", _("选民名册确定")
    ROUND_CLOSED = "round_closed", _("计票")
    RUNOFF_OPENED = "runoff_opened", _("发起第二轮投票")
    SEATED = "seated", _("当选人就任")
    CANCELLED = "cancelled", _("未能举行")
    PHOTO_ADDED = "photo_added", _("上传候选人照片")
    PHOTO_REMOVED = "photo_removed", _("删除候选人照片")
