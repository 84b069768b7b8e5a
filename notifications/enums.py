"""What a person can be told, and what became of the mail for it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    VOTE_NEEDED = "vote_needed", _("需要您表决")
    REVIEW_NEEDED = "review_needed", _("议案待您审议")
    NOTICE_PUBLISHED = "notice_published", _("本小组发布公示")
    OBJECTION_FILED = "objection_filed", _("议案收到异议")
    OBJECTION_ANSWERED = "objection_answered", _("您的异议已答复")
    NOTICE_ENDED = "notice_ended", _("公示期满")
    BALLOT_REMINDER = "ballot_reminder", _("表决即将截止")
    BALLOT_CLOSED = "ballot_closed", _("表决结果")
    BUDGET_APPROVED = "budget_approved", _("预算审核通过")
    BUDGET_LOWERED = "budget_lowered", _("预算核减后通过")
    BUDGET_RETURNED = "budget_returned", _("预算退回")
    FUNDS_RELEASED = "funds_released", _("资金已拨付")
    HOLD_PLACED = "hold_placed", _("暂停拨付")
    HOLD_LIFTED = "hold_lifted", _("解除暂停")
    MEETING_REMINDER = "meeting_reminder", _("议事会例会提醒")
    FUND_CALENDAR = "fund_calendar", _("资金日历提醒")
    NEED_ANSWERED = "need_answered", _("您的需求已回应")
    NEED_OVERDUE = "need_overdue", _("需求超期未回应")
    CLAIM_WAITING = "claim_waiting", _("项目认领待确认")
    CLAIM_DECIDED = "claim_decided", _("项目认领结果")
    SERVICE_COMPLETED = "service_completed", _("服务已完成，请评价")
    GRANT_AWARDED = "grant_awarded", _("微创投获资助")
    GRANT_REPORT_WAITING = "grant_report_waiting", _("微创投报告待验收")
    ELECTION_OPENED = "election_opened", _("推选开始")
    ELECTION_CANDIDATES = "election_candidates", _("推选候选人名单")
    ELECTION_VOTING = "election_voting", _("推选投票开始")
    ELECTION_RUNOFF = "election_runoff", _("推选第二轮投票")
    ELECTION_RESULT = "election_result", _("推选结果")
    ACTIVITY_REMINDER = "activity_reminder", _("活动明天开始")
    TENDER_PUBLISHED = "tender_published", _("新的招标")
    TENDER_VOTING = "tender_voting", _("请为投标方投票")


class MailStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    DIGEST = "digest", _("等待每日汇总")
    SENT = "sent", _("已发送")
    OFF = "off", _("已关闭邮件")
    NO_ADDRESS = "no_address", _("没有邮箱")
    FAILED = "failed", _("发送失败")
