"""Choices of the funding app: fund kinds, ledger entry kinds and their sign rules.

``ENTRY_SIGNS`` says, for each kind of ledger entry, which way it moves the
fund's balance and its open reservations. The model's check constraints and
``funding.ledger.entry_write`` both follow it, so an entry can never move
money the wrong way.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# A designated purpose (R21) is a project category; apps above funding (grants) name it through here.
from proposals.enums import Category as PurposeCategory  # noqa: E402,F401


class FundKind(models.TextChoices):
    PUBLIC_SERVICE = "public_service", _("公服资金")
    FOUNDATION = "foundation", _("社区基金")


class EntryKind(models.TextChoices):
    ALLOCATION = "allocation", _("拨入")
    DONATION = "donation", _("捐赠")
    RESERVATION = "reservation", _("预留")
    RESERVATION_CANCEL = "reservation_cancel", _("取消预留")
    RELEASE = "release", _("拨付")
    SAVINGS_RETURN = "savings_return", _("结余退回")
    CORRECTION = "correction", _("更正")
    # Micro-grant calls (公益微创投): the pool reserved, tranches paid, money returned.
    GRANT_RESERVATION = "grant_reservation", _("微创投资金池预留")
    GRANT_PAYMENT = "grant_payment", _("微创投资助拨付")
    GRANT_REFUND = "grant_refund", _("微创投结余退回")
    GRANT_RESERVATION_CANCEL = "grant_reservation_cancel", _("微创投资金池退回")


# kind -> (sign of balance_delta, sign of reserved_delta); 0 means the delta is zero,
# None means either sign (a correction), "=" means equal to balance_delta.
ENTRY_SIGNS: dict[str, tuple] = {
    EntryKind.ALLOCATION: (+1, 0),
    EntryKind.DONATION: (+1, 0),
    EntryKind.RESERVATION: (0, +1),
    EntryKind.RESERVATION_CANCEL: (0, -1),
    EntryKind.RELEASE: (-1, "="),
    EntryKind.SAVINGS_RETURN: (+1, 0),
    EntryKind.CORRECTION: (None, 0),
    EntryKind.GRANT_RESERVATION: (0, +1),
    EntryKind.GRANT_PAYMENT: (-1, "="),
    EntryKind.GRANT_REFUND: (+1, 0),
    EntryKind.GRANT_RESERVATION_CANCEL: (0, -1),
}

# Entries of a micro-grant call: no proposal; the grants app links each to its call or award.
GRANT_ENTRY_KINDS = (
    EntryKind.GRANT_RESERVATION, EntryKind.GRANT_PAYMENT, EntryKind.GRANT_REFUND,
    EntryKind.GRANT_RESERVATION_CANCEL,
)

# Entries that belong to one proposal; each happens at most once per proposal.
PROPOSAL_ENTRY_KINDS = (
    EntryKind.RESERVATION, EntryKind.RESERVATION_CANCEL, EntryKind.RELEASE, EntryKind.SAVINGS_RETURN,
)


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", _("核准")
    RETURNED = "returned", _("退回")


class PayerKind(models.TextChoices):
    HOUSEHOLD = "household", _("住户")
    ORGANISATION = "organisation", _("单位")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class RefundCause(models.TextChoices):
    SAVINGS = "savings", _("项目结余")
    WITHDRAWAL = "withdrawal", _("议案撤回")


class DonorKind(models.TextChoices):
    """R21: who gave to a community foundation."""

    RESIDENT = "resident", _("居民")
    ORGANISATION = "organisation", _("社会组织")
    LOCAL_UNIT = "local_unit", _("驻区单位")
    ENTERPRISE = "enterprise", _("企业")
    ANONYMOUS = "anonymous", _("匿名")


class DonationMethod(models.TextChoices):
    CASH = "cash", _("现金")
    TRANSFER = "transfer", _("银行转账")
    COLLECTION = "collection", _("微信/支付宝收款记录")


# --------------------------------------------------------------------------- performance evaluation (R26)


class EvaluationStage(models.TextChoices):
    MID_TERM = "mid_term", _("中期评估")
    FINAL = "final", _("结项评估")


class EvaluationClass(models.TextChoices):
    """The three classes Chengdu's districts evaluate community-fund projects by."""

    HARDWARE = "hardware", _("硬件维护类")
    PROFESSIONAL = "professional", _("专业服务类")
    RESIDENT_RUN = "resident_run", _("居民自治类")


class EvaluationGrade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


# Criteria of each class: (code, label, full points); the points of a class add up to 100.
EVALUATION_CRITERIA: dict[str, tuple[tuple[str, object, int], ...]] = {
    EvaluationClass.HARDWARE: (
        ("process", _("程序规范：议事、公示、比选、验收记录齐全"), 25),
        ("funds", _("资金使用：按预算支出、拨付及时、结余退回"), 25),
        ("quality", _("工程质量：按期完工、验收合格"), 30),
        ("satisfaction", _("居民满意度"), 20),
    ),
    EvaluationClass.PROFESSIONAL: (
        ("process", _("程序规范：计划、服务记录、报告齐全"), 20),
        ("delivery", _("服务完成：服务人次与计划目标"), 30),
        ("expertise", _("专业水平：方案、人员与方法"), 20),
        ("participation", _("居民参与：报名、签到与志愿服务"), 15),
        ("satisfaction", _("居民满意度"), 15),
    ),
    EvaluationClass.RESIDENT_RUN: (
        ("process", _("程序规范：议事、公示与记录"), 20),
        ("participation", _("居民参与：出力、自筹与志愿服务"), 30),
        ("results", _("实施成效：目标达成与持续运行"), 30),
        ("satisfaction", _("居民满意度"), 20),
    ),
}

# Grade by total points (of 100): at least 90 excellent, 80 good, 60 pass.
GRADE_FLOORS = ((90, EvaluationGrade.EXCELLENT), (80, EvaluationGrade.GOOD), (60, EvaluationGrade.PASS))
