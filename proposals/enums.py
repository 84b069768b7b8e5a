"""States of a proposal and the transitions between them (docs/domain.md, life of a proposal).

``TRANSITIONS`` is the only table of allowed moves; ``proposals.services.
proposal_transition`` refuses any move not in it. The funding app moves the
money states through the same helper.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    GROUP_REVIEW = "group_review", _("小组议事中")
    ADOPTED = "adopted", _("已形成决议")
    NOTICE = "notice", _("公示中")
    SUBMITTED = "submitted", _("已提交社区")
    COMMUNITY_VOTE = "community_vote", _("社区表决中")
    APPROVED = "approved", _("社区表决通过")
    REJECTED = "rejected", _("社区表决未通过")
    FUNDED = "funded", _("预算已核准")
    RELEASED = "released", _("资金已拨付")
    IN_PROGRESS = "in_progress", _("实施中")
    ACCEPTED = "accepted", _("已验收")
    SETTLED = "settled", _("已决算")
    WITHDRAWN = "withdrawn", _("已撤回")


S = ProposalStatus

# Which state may follow which. Withdrawal is allowed from any state before RELEASED.
BEFORE_RELEASE = (
    S.DRAFT, S.GROUP_REVIEW, S.ADOPTED, S.NOTICE, S.SUBMITTED, S.COMMUNITY_VOTE, S.APPROVED, S.FUNDED,
)
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.GROUP_REVIEW},
    S.GROUP_REVIEW: {S.DRAFT, S.ADOPTED},  # returned to the author; adopted by group ballot
    S.ADOPTED: {S.NOTICE, S.GROUP_REVIEW},
    S.NOTICE: {S.SUBMITTED, S.GROUP_REVIEW},  # objection upheld -> back to group review
    S.SUBMITTED: {S.COMMUNITY_VOTE},
    S.COMMUNITY_VOTE: {S.APPROVED, S.REJECTED},
    S.APPROVED: {S.FUNDED, S.GROUP_REVIEW},  # budget approved / budget returned
    S.FUNDED: {S.RELEASED},
    S.RELEASED: {S.IN_PROGRESS},
    S.IN_PROGRESS: {S.ACCEPTED},
    S.ACCEPTED: {S.SETTLED},
    S.REJECTED: set(),
    S.SETTLED: set(),
    S.WITHDRAWN: set(),
}
for _state in BEFORE_RELEASE:
    TRANSITIONS[_state].add(S.WITHDRAWN)

# States in which the proposal's text and budget may still be edited.
EDITABLE = (S.DRAFT, S.GROUP_REVIEW)
# States the public can see (drafts and group review are the group's business).
# WITHDRAWN is public only for a proposal that had left its group: see
# ``proposals.selectors.public_q``.
PUBLIC = tuple(s for s in S.values if s not in (S.DRAFT, S.GROUP_REVIEW))


class Category(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("基础设施")
    SAFETY = "safety", _("安全与消防")
    ENVIRONMENT = "environment", _("环境卫生")
    GREENING = "greening", _("绿化")
    ELDERLY = "elderly", _("为老服务")
    CULTURE = "culture", _("文体活动")
    # Uses that public money may not pay for; they sit on funds' negative lists (R8).
    PROPERTY_FEE = "property_fee", _("物业费等个人应付费用")
    GOVERNMENT_DUTY = "government_duty", _("政府部门职责事项")
    SALARY = "salary", _("人员工资福利")
    OTHER = "other", _("其他")


DEFAULT_NEGATIVE_LIST = [Category.PROPERTY_FEE.value, Category.GOVERNMENT_DUTY.value, Category.SALARY.value]


class BallotKind(models.TextChoices):
    GROUP = "group", _("小组表决")
    COMMUNITY = "community", _("社区表决")


class VoteChoice(models.TextChoices):
    APPROVE = "approve", _("赞成")
    OPPOSE = "oppose", _("反对")
    ABSTAIN = "abstain", _("弃权")


class ProxyReason(models.TextChoices):
    """Why community staff entered a member's vote (the detail says which request, paper or meeting)."""

    ASKED = "asked", _("成员本人委托代录")
    PAPER = "paper", _("纸质表决票")
    MEETING = "meeting", _("会议现场表决")


class BallotOutcome(models.TextChoices):
    PASSED = "passed", _("通过")
    FAILED = "failed", _("未通过")


class ThresholdBase(models.TextChoices):
    ELECTORATE = "electorate", _("全体成员")
    VOTES_CAST = "votes_cast", _("实际投票")


class EventKind(models.TextChoices):
    CREATED = "created", _("起草议案")
    EDITED = "edited", _("修改议案")
    SUBMITTED = "submitted", _("提交小组议事")
    RETURNED = "returned", _("退回修改")
    BALLOT_OPENED = "ballot_opened", _("发起表决")
    BALLOT_CLOSED = "ballot_closed", _("表决结束")
    ADOPTED = "adopted", _("形成决议")
    NOTICE_PUBLISHED = "notice_published", _("发布公示")
    OBJECTION_FILED = "objection_filed", _("提出异议")
    OBJECTION_ANSWERED = "objection_answered", _("答复异议")
    SUBMITTED_TO_COMMUNITY = "submitted_to_community", _("提交社区议事会")
    APPROVED = "approved", _("社区表决通过")
    REJECTED = "rejected", _("社区表决未通过")
    WITHDRAWN = "withdrawn", _("撤回")
    AGENDA_ADDED = "agenda_added", _("列入会议议程")
    OPINION_RECORDED = "opinion_recorded", _("监督意见")
    HOLD_PLACED = "hold_placed", _("暂停拨付")
    HOLD_LIFTED = "hold_lifted", _("解除暂停")
    # Money steps, written by the funding app through proposals.services.
    BUDGET_APPROVED = "budget_approved", _("预算审核通过")
    BUDGET_RETURNED = "budget_returned", _("预算退回")
    CONTRIBUTION_RECORDED = "contribution_recorded", _("登记自筹资金")
    CONTRIBUTION_REVERSED = "contribution_reversed", _("冲正自筹资金")
    FUNDS_RELEASED = "funds_released", _("拨付资金")
    BID_RECORDED = "bid_recorded", _("登记比选报价")
    BID_SELECTED = "bid_selected", _("确定施工方")
    ACCEPTANCE_RECORDED = "acceptance_recorded", _("验收")
    SETTLED = "settled", _("决算")
    RATED = "rated", _("居民评价")
    PHOTO_ADDED = "photo_added", _("添加照片")
    PHOTO_REMOVED = "photo_removed", _("删除照片")
