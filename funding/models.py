"""Money: funds and their ledger, budget reviews, self-raised contributions,
bids, acceptance, settlement and refunds (R8–R13, R15).

Models hold fields and constraints; every change goes through
``funding.services``. A fund's balance and available amount are never stored:
they are sums over its ``LedgerEntry`` rows (``funding.selectors``).
"""

from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.models import Community
from proposals.enums import DEFAULT_NEGATIVE_LIST, Category
from proposals.models import Proposal, Resolution

from .enums import (
    DonationMethod,
    DonorKind,
    EntryKind,
    EvaluationClass,
    EvaluationGrade,
    EvaluationStage,
    FundKind,
    PayerKind,
    RefundCause,
    ReviewDecision,
    Satisfaction,
)

User = settings.AUTH_USER_MODEL
MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


def same_to_the_fen(field: str, expression) -> Q:
    """``field = expression`` for 2-place money, also where SQLite sums decimals as floats.

    PostgreSQL's numeric is exact, so this is plain equality there; SQLite's
    30000.00 − 28999.99 is 1000.0100000000002, so equality is "within half a fen".
    """
    half_fen = Decimal("0.005")
    return Q(**{f"{field}__gt": expression - half_fen}) & Q(**{f"{field}__lt": expression + half_fen})


def default_negative_list() -> list[str]:
    return list(DEFAULT_NEGATIVE_LIST)


class Fund(models.Model):
    """公服资金 / 社区基金 of one community for one fiscal year.

    Its configuration (cap, negative list) may be edited; its money only moves
    through ledger entries.
    """

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="funds", verbose_name=_("社区")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类别"), max_length=24, choices=FundKind.choices, default=FundKind.PUBLIC_SERVICE)
    # R3: the most a project may take from this fund, as a percentage of its total.
    share_cap_percent = models.DecimalField(
        _("公服资金占比上限（%）"), max_digits=5, decimal_places=2, default=Decimal("50.00"),
        help_text=_("单个项目申请公服资金占总预算的最高比例。"),
    )
    # R8: proposal categories this fund may not pay for.
    negative_list = models.JSONField(
        _("负面清单"), default=default_negative_list, blank=True,
        help_text=_("不得使用本资金的议案类别。"),
    )
    created_at = models.DateTimeField(_("设立时间"), default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("设立人")
    )
    # R21: besides community staff, the people who run a community foundation record its donations.
    managers = models.ManyToManyField(User, blank=True, related_name="managed_funds", verbose_name=_("基金管理人"))
    # Public foundation page: what the fund is for and how to give (no payment goes through Yishi).
    purpose_text = models.TextField(_("基金宗旨"), max_length=2000, blank=True, db_default="")
    giving_text = models.TextField(
        _("捐赠方式"), max_length=2000, blank=True, db_default="", help_text=_("收款账户、开户行、联系人等，会公开显示。")
    )
    # The text a collection QR code carries (e.g. "wxp://..."): Yishi draws the code from it, so no
    # image upload or media storage is needed.
    giving_qr_text = models.CharField(
        _("收款码内容"), max_length=300, blank=True, db_default="",
        help_text=_("用扫码工具读出收款码中的链接，粘贴在这里。"),
    )

    class Meta:
        verbose_name = _("资金账户")
        verbose_name_plural = _("资金账户")
        ordering = ["community", "-year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["community", "year", "kind"], name="fund_one_per_community_year_kind"),
            models.CheckConstraint(
                condition=Q(share_cap_percent__gt=0) & Q(share_cap_percent__lte=100), name="fund_cap_percent_range"
            ),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="fund_year_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.year} 年{self.get_kind_display()}"

    @property
    def share_cap(self) -> Fraction:
        return Fraction(self.share_cap_percent) / 100

    def negative_list_labels(self) -> list[str]:
        labels = dict(Category.choices)
        return [str(labels.get(value, value)) for value in self.negative_list or []]


class AppendOnlyError(Exception):
    pass


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")

    def delete(self):
        raise AppendOnlyError("Ledger entries are append-only.")

    delete.queryset_only = True

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Ledger entries are append-only.")


class LedgerEntry(models.Model):
    """A movement of a fund (R15): append-only and hash-chained per fund (R14).

    ``balance_delta`` moves the money in the fund; ``reserved_delta`` moves the
    money promised to approved projects. Balance = Σ balance_delta; reserved =
    Σ reserved_delta; available = balance − reserved. The signs per kind are
    in ``funding.enums.ENTRY_SIGNS`` and enforced here by a check constraint.
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="entries", verbose_name=_("资金账户"))
    seq = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("类别"), max_length=24, choices=EntryKind.choices)
    balance_delta = models.DecimalField(_("余额变动"), **MONEY)
    reserved_delta = models.DecimalField(_("预留变动"), **MONEY)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries",
        verbose_name=_("议案"),
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("经办人")
    )
    counterparty = models.CharField(_("来源/去向"), max_length=120, blank=True)
    memo = models.TextField(_("说明"), max_length=2000, blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
        verbose_name=_("更正的记录"),
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    prev_hash = models.CharField(_("上一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("资金流水")
        verbose_name_plural = _("资金流水")
        ordering = ["fund", "seq"]
        indexes = [models.Index(fields=["proposal", "kind"])]
        constraints = [
            # One writer per link of the chain (the fund row lock makes this the normal case).
            models.UniqueConstraint(fields=["fund", "seq"], name="ledger_seq_unique"),
            # R10: at most one release per proposal, also under concurrent clicks.
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(kind=EntryKind.RELEASE), name="ledger_one_release_per_proposal"
            ),
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(kind=EntryKind.RESERVATION),
                name="ledger_one_reservation_per_proposal",
            ),
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(kind=EntryKind.RESERVATION_CANCEL),
                name="ledger_one_cancel_per_proposal",
            ),
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(kind=EntryKind.SAVINGS_RETURN),
                name="ledger_one_savings_return_per_proposal",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[EntryKind.ALLOCATION, EntryKind.DONATION, EntryKind.SAVINGS_RETURN],
                      balance_delta__gt=0, reserved_delta=0)
                    | Q(kind=EntryKind.RESERVATION, balance_delta=0, reserved_delta__gt=0)
                    | Q(kind=EntryKind.RESERVATION_CANCEL, balance_delta=0, reserved_delta__lt=0)
                    | Q(kind=EntryKind.RELEASE, balance_delta__lt=0, reserved_delta=F("balance_delta"))
                    | (Q(kind=EntryKind.CORRECTION, reserved_delta=0) & ~Q(balance_delta=0))
                    | Q(kind=EntryKind.GRANT_RESERVATION, balance_delta=0, reserved_delta__gt=0)
                    | Q(kind=EntryKind.GRANT_PAYMENT, balance_delta__lt=0, reserved_delta=F("balance_delta"))
                    | Q(kind=EntryKind.GRANT_REFUND, balance_delta__gt=0, reserved_delta=0)
                    | Q(kind=EntryKind.GRANT_RESERVATION_CANCEL, balance_delta=0, reserved_delta__lt=0)
                ),
                name="ledger_entry_signs_v2",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[EntryKind.RESERVATION, EntryKind.RESERVATION_CANCEL, EntryKind.RELEASE,
                                EntryKind.SAVINGS_RETURN], proposal__isnull=False)
                    | Q(kind__in=[EntryKind.ALLOCATION, EntryKind.DONATION, EntryKind.CORRECTION,
                                EntryKind.GRANT_RESERVATION, EntryKind.GRANT_PAYMENT, EntryKind.GRANT_REFUND,
                                EntryKind.GRANT_RESERVATION_CANCEL],
                        proposal__isnull=True)
                ),
                name="ledger_proposal_iff_project_entry_v2",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund} #{self.seq} {self.get_kind_display()}"

    @property
    def amount(self) -> Decimal:
        """The size of the movement, whichever column it moved."""
        return abs(self.balance_delta) if self.balance_delta else abs(self.reserved_delta)

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")


class BudgetReview(models.Model):
    """预算审核 by street-office staff (R8): approved (with the reserved share) or returned."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="budget_reviews", verbose_name=_("议案")
    )
    resolution = models.ForeignKey(
        Resolution, on_delete=models.PROTECT, null=True, blank=True, related_name="budget_reviews",
        verbose_name=_("审核的决议"),
    )
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("审核人"))
    decision = models.CharField(_("结论"), max_length=16, choices=ReviewDecision.choices)
    total = models.DecimalField(_("总预算"), **MONEY)
    requested_share = models.DecimalField(_("申请公服资金"), **MONEY)
    approved_share = models.DecimalField(_("核定公服资金"), null=True, blank=True, **MONEY)
    reason = models.TextField(_("意见"), max_length=2000, blank=True)
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews", verbose_name=_("资金账户")
    )
    reservation = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="review",
        verbose_name=_("预留记录"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), default=timezone.now)

    class Meta:
        verbose_name = _("预算审核")
        verbose_name_plural = _("预算审核")
        ordering = ["-reviewed_at"]
        constraints = [
            # A proposal is approved once: approval moves it to FUNDED, which never comes back.
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(decision=ReviewDecision.APPROVED), name="review_one_approval"
            ),
            models.CheckConstraint(
                condition=(
                    Q(decision=ReviewDecision.APPROVED, approved_share__isnull=False, fund__isnull=False)
                    | (Q(decision=ReviewDecision.RETURNED, approved_share__isnull=True, reservation__isnull=True)
                       & ~Q(reason=""))
                ),
                name="review_decision_complete",
            ),
            # R8: the reviewer may lower the community share, never raise it.
            models.CheckConstraint(
                condition=Q(approved_share__isnull=True)
                | (Q(approved_share__gte=0) & Q(approved_share__lte=F("requested_share"))),
                name="review_share_not_raised",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal} · {self.get_decision_display()}"

    @property
    def self_raised_share(self) -> Decimal | None:
        if self.approved_share is None:
            return None
        return self.total - self.approved_share


class Contribution(models.Model):
    """自筹 (R9): money a household or organisation paid towards the project.

    Never edited: a wrong entry is reversed (``reversed_at``) and entered again.
    """

    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="contributions", verbose_name=_("议案")
    )
    payer = models.CharField(_("缴款人"), max_length=100, help_text=_("住户（如 3 栋 2 单元 401）或单位名称。"))
    payer_kind = models.CharField(_("缴款人类型"), max_length=16, choices=PayerKind.choices, default=PayerKind.HOUSEHOLD)
    amount = models.DecimalField(_("金额"), **MONEY)
    receipt_no = models.CharField(_("收据编号"), max_length=40)
    paid_on = models.DateField(_("缴款日期"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    reversed_at = models.DateTimeField(_("冲正时间"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("冲正人")
    )
    reversal_reason = models.TextField(_("冲正理由"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("自筹资金")
        verbose_name_plural = _("自筹资金")
        ordering = ["recorded_at", "pk"]
        constraints = [
            # A receipt counts once; after a reversal the same receipt may be entered again, correctly.
            models.UniqueConstraint(
                fields=["proposal", "receipt_no"], condition=Q(reversed_at__isnull=True),
                name="contribution_receipt_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="contribution_amount_positive"),
            models.CheckConstraint(
                condition=Q(reversed_at__isnull=True, reversed_by__isnull=True, reversal_reason="")
                | (Q(reversed_at__isnull=False, reversed_by__isnull=False) & ~Q(reversal_reason="")),
                name="contribution_reversal_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_no} · {self.amount}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class Bid(models.Model):
    """比选 (R12): one contractor's offer; the chosen one carries the panel and the reason."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="bids", verbose_name=_("议案"))
    contractor = models.CharField(_("施工方"), max_length=120)
    amount = models.DecimalField(_("报价"), **MONEY)
    notes = models.TextField(_("说明"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    selected_at = models.DateTimeField(_("选定时间"), null=True, blank=True)
    selected_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("选定人")
    )
    selection_reason = models.TextField(_("选定理由"), max_length=2000, blank=True)
    panel = models.ManyToManyField(User, blank=True, related_name="bid_panels", verbose_name=_("比选小组"))
    # R24: a bid made on the platform (an open tender) and entered here when the tender closed.
    tender_bid = models.OneToOneField(
        "TenderBid", on_delete=models.PROTECT, null=True, blank=True, related_name="r12_bid",
        verbose_name=_("平台投标"),
    )

    class Meta:
        verbose_name = _("比选报价")
        verbose_name_plural = _("比选报价")
        ordering = ["amount", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "contractor"], name="bid_one_per_contractor"),
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(selected_at__isnull=False), name="bid_one_selected"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bid_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.contractor} · {self.amount}"

    @property
    def is_selected(self) -> bool:
        return self.selected_at is not None


class Acceptance(models.Model):
    """验收 (R13): recorded by the group council with a supervisor present."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("议案")
    )
    passed = models.BooleanField(_("验收合格"))
    satisfaction = models.CharField(_("居民满意度"), max_length=24, choices=Satisfaction.choices)
    notes = models.TextField(_("验收意见"), max_length=4000, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人"))
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("到场监督人"))
    # R23: the party organisation leads acceptance (党组织评议验收). Null only on rows from before R23.
    party_member = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("到场党组织成员")
    )
    recorded_at = models.DateTimeField(_("验收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("验收")
        verbose_name_plural = _("验收")
        ordering = ["recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(passed=True), name="acceptance_one_passed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal} · {'合格' if self.passed else '不合格'}"


class Settlement(models.Model):
    """决算 (R13): the final accounts of a project, public once recorded.

    Savings = approved total − actual cost, split in proportion to the shares:
    the community part (rounded half up to the fen) goes back to the fund as a
    ledger entry; the residents' part is the rest and is refunded per
    contribution (``Refund``).
    """

    proposal = models.OneToOneField(
        Proposal, on_delete=models.PROTECT, related_name="settlement", verbose_name=_("议案")
    )
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("资金账户"))
    bid = models.ForeignKey(
        Bid, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("中选报价")
    )
    approved_total = models.DecimalField(_("核定总预算"), **MONEY)
    community_share = models.DecimalField(_("公服资金"), **MONEY)
    self_raised_share = models.DecimalField(_("居民自筹"), **MONEY)
    contributions_collected = models.DecimalField(_("实收自筹"), **MONEY)
    actual_cost = models.DecimalField(_("实际支出"), **MONEY)
    savings = models.DecimalField(_("结余"), **MONEY)
    community_savings = models.DecimalField(_("退回公服资金"), **MONEY)
    residents_savings = models.DecimalField(_("居民结余部分"), **MONEY)
    refundable_total = models.DecimalField(_("应退居民"), **MONEY)
    savings_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="settlement",
        verbose_name=_("结余退回记录"),
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("决算时间"), default=timezone.now)

    class Meta:
        verbose_name = _("决算")
        verbose_name_plural = _("决算")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(actual_cost__gt=0), name="settlement_cost_positive"),
            models.CheckConstraint(
                condition=Q(actual_cost__lte=F("approved_total")), name="settlement_cost_within_total"
            ),
            models.CheckConstraint(
                condition=same_to_the_fen("savings", F("approved_total") - F("actual_cost")),
                name="settlement_savings_exact",
            ),
            models.CheckConstraint(
                condition=same_to_the_fen("savings", F("community_savings") + F("residents_savings"))
                & Q(community_savings__gte=0) & Q(residents_savings__gte=0),
                name="settlement_split_exact",
            ),
            models.CheckConstraint(
                condition=same_to_the_fen("approved_total", F("community_share") + F("self_raised_share")),
                name="settlement_shares_sum",
            ),
            models.CheckConstraint(condition=Q(refundable_total__gte=0), name="settlement_refundable_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal} 决算"


class Refund(models.Model):
    """What is owed back to one contributor: a share of the savings, or all of it on withdrawal."""

    contribution = models.OneToOneField(
        Contribution, on_delete=models.PROTECT, related_name="refund", verbose_name=_("自筹资金")
    )
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds",
        verbose_name=_("决算"),
    )
    cause = models.CharField(_("原因"), max_length=16, choices=RefundCause.choices)
    amount = models.DecimalField(_("应退金额"), **MONEY)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    paid_on = models.DateField(_("退款日期"), null=True, blank=True)
    paid_recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("退款登记人")
    )

    class Meta:
        verbose_name = _("应退款")
        verbose_name_plural = _("应退款")
        ordering = ["contribution__recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(cause=RefundCause.SAVINGS, settlement__isnull=False)
                | Q(cause=RefundCause.WITHDRAWAL, settlement__isnull=True),
                name="refund_cause_matches_settlement",
            ),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True, paid_recorded_by__isnull=True)
                | Q(paid_on__isnull=False, paid_recorded_by__isnull=False),
                name="refund_paid_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contribution} → {self.amount}"


class HistoryCheckpoint(models.Model):
    """A signed record of every hash chain's head (R14): its length and last hash.

    Written by the daily job (``funding.checkpoints.checkpoint_write``) only
    after a full verification passed. ``text`` is the published form and is
    signed with HMAC-SHA256 under ``YISHI_CHECKPOINT_KEY``: without the key
    nobody can write a checkpoint that verifies, so a deleted last row or a
    rewritten chain no longer matches the last checkpoint. ``heads`` is
    {chain name: {chain id: [seq, hash]}}; ``text`` carries its SHA-256.
    """

    number = models.PositiveIntegerField(_("编号"), unique=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    heads = models.JSONField(_("链头"))
    heads_sha256 = models.CharField(_("链头摘要"), max_length=64)
    key_id = models.CharField(_("密钥标识"), max_length=16)
    text = models.TextField(_("签名文本"))
    signature = models.CharField(_("签名"), max_length=64)
    # Set when an operator restarted the series without verifying the previous checkpoint (lost key).
    restarted = models.BooleanField(_("重新开始"), default=False)

    class Meta:
        verbose_name = _("历史记录校验点")
        verbose_name_plural = _("历史记录校验点")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.heads_sha256[:12]}"

    @property
    def signed_text(self) -> str:
        return f"{self.text}hmac_sha256: {self.signature}\n"


class HistoryRun(models.Model):
    """One full verification of the history (``manage.py verify_history`` in the background).

    The history page shows the last finished run instead of re-hashing every
    row per request. ``pending`` is True while a run asked for from the page
    waits or runs: at most one at a time (constraint).
    """

    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("发起人")
    )
    requested_at = models.DateTimeField(_("请求时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    pending = models.BooleanField(null=True, default=None)
    ok = models.BooleanField(_("通过"), null=True, blank=True)
    chains = models.PositiveIntegerField(_("链数"), default=0)
    rows = models.PositiveIntegerField(_("记录数"), default=0)
    finding_count = models.PositiveIntegerField(_("问题数"), default=0)
    checkpoint = models.ForeignKey(
        HistoryCheckpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("对照的校验点"),
    )

    class Meta:
        verbose_name = _("历史记录核验")
        verbose_name_plural = _("历史记录核验")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["pending"], condition=Q(pending=True), name="history_run_one_pending"),
        ]


class HistoryFinding(models.Model):
    """One difference a run found: the table, the row and what differs.

    ``community_id`` (from the proposal or fund, when there is one) scopes the
    page; a finding without one (e.g. a checkpoint whose signature fails) is
    shown to every supervisor. Plain integers, not foreign keys: the row may be
    the one that was deleted.
    """

    run = models.ForeignKey(HistoryRun, on_delete=models.CASCADE, related_name="findings")
    source = models.CharField(max_length=40)
    table = models.CharField(max_length=64)
    row = models.BigIntegerField(null=True, blank=True)
    proposal_id = models.BigIntegerField(null=True, blank=True)
    fund_id = models.BigIntegerField(null=True, blank=True)
    community_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["run", "community_id"])]

    def __str__(self) -> str:
        row = f" row {self.row}" if self.row is not None else ""
        return f"{self.source}: {self.table}{row}: {self.message}"


class ReceiptCounter(models.Model):
    """R21: the last receipt number given for a fund (a fund is one community, one year, one kind).

    Locked with ``select_for_update`` in the transaction that records the donation, so a
    number is taken exactly when its donation is written: never shared, never skipped.
    """

    fund = models.OneToOneField(Fund, on_delete=models.PROTECT, related_name="receipt_counter")
    last_no = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("收据编号计数")
        verbose_name_plural = _("收据编号计数")

    def __str__(self) -> str:
        return f"{self.fund} · {self.last_no}"


class Donation(models.Model):
    """捐赠 to a community foundation (R21): one DONATION ledger entry, a gap-free receipt number.

    Never edited: a mistake is reversed (a CORRECTION entry of the opposite amount,
    with a reason) and recorded again. ``publish_name`` is the donor's consent; without
    it the name appears nowhere outside staff pages, the ledger included.
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="donations", verbose_name=_("基金"))
    receipt_no = models.PositiveIntegerField(_("收据号"))
    donor_kind = models.CharField(_("捐赠人类型"), max_length=16, choices=DonorKind.choices)
    donor_name = models.CharField(_("捐赠人"), max_length=120, blank=True)
    amount = models.DecimalField(_("金额"), **MONEY)
    method = models.CharField(_("捐赠方式"), max_length=16, choices=DonationMethod.choices)
    paid_on = models.DateField(_("捐赠日期"))
    publish_name = models.BooleanField(_("同意公开姓名"), default=False)
    purpose_category = models.CharField(_("指定用途类别"), max_length=24, choices=Category.choices, blank=True)
    purpose_proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="designated_donations",
        verbose_name=_("指定用于议案"),
    )
    entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="donation", verbose_name=_("流水")
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    reversal_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_donation",
        verbose_name=_("冲正流水"),
    )
    reversed_at = models.DateTimeField(_("冲正时间"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("冲正人")
    )
    reversal_reason = models.TextField(_("冲正理由"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("捐赠")
        verbose_name_plural = _("捐赠")
        ordering = ["fund", "receipt_no"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "receipt_no"], name="donation_receipt_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="donation_amount_positive"),
            models.CheckConstraint(condition=Q(receipt_no__gt=0), name="donation_receipt_positive"),
            # R21: an anonymous donation carries no name (and so nothing to publish); any other carries one.
            models.CheckConstraint(
                condition=Q(donor_kind=DonorKind.ANONYMOUS, donor_name="", publish_name=False)
                | (~Q(donor_kind=DonorKind.ANONYMOUS) & ~Q(donor_name="")),
                name="donation_anonymous_has_no_name",
            ),
            models.CheckConstraint(
                condition=Q(purpose_category="") | Q(purpose_proposal__isnull=True),
                name="donation_one_purpose",
            ),
            models.CheckConstraint(
                condition=Q(reversed_at__isnull=True, reversed_by__isnull=True, reversal_entry__isnull=True,
                            reversal_reason="")
                | (Q(reversed_at__isnull=False, reversed_by__isnull=False, reversal_entry__isnull=False)
                   & ~Q(reversal_reason="")),
                name="donation_reversal_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} · {self.amount}"

    @property
    def receipt_number(self) -> str:
        """"2026-0007": the number printed on the receipt (the fund's year, then the gap-free count)."""
        return f"{self.fund.year}-{self.receipt_no:04d}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None

    @property
    def public_name(self) -> str:
        """What anyone but staff may see of the donor: the name only with consent."""
        if self.publish_name and self.donor_name:
            return self.donor_name
        return public_donor_label(self.donor_kind)

    @property
    def purpose_key(self) -> tuple[str, str] | None:
        if self.purpose_proposal_id:
            return ("proposal", str(self.purpose_proposal_id))
        if self.purpose_category:
            return ("category", self.purpose_category)
        return None


def public_donor_label(donor_kind: str) -> str:
    """The stand-in shown for a donor who did not consent to publish the name."""
    if donor_kind == DonorKind.ANONYMOUS:
        return str(_("匿名捐赠人"))
    return str(_("%(kind)s（未公开姓名）") % {"kind": DonorKind(donor_kind).label})


class PurposeDraw(models.Model):
    """Designated money a project or a micro-grant call took from a foundation (R21), or gave back (negative).

    Written with the ledger entry that moved the money: a reservation draws, a
    cancelled reservation or a savings return gives back (for a call: its pool
    reservation draws, a grantee's refund or the closing return gives back). Per purpose,
    left = donations given − Σ draws; the fund's free money is what is
    available beyond every purpose's left.
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="purpose_draws", verbose_name=_("基金"))
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="purpose_draws",
                              verbose_name=_("流水"))
    # The proposal that used the money; empty when a micro-grant call drew it (the entry is the call's).
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="purpose_draws", verbose_name=_("使用的议案"))
    purpose_category = models.CharField(_("指定用途类别"), max_length=24, choices=Category.choices, blank=True)
    purpose_proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("指定用于议案"),
    )
    amount = models.DecimalField(_("金额"), **MONEY)

    class Meta:
        verbose_name = _("指定用途使用")
        verbose_name_plural = _("指定用途使用")
        ordering = ["fund", "entry__seq", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="purpose_draw_nonzero"),
            models.CheckConstraint(
                condition=(Q(purpose_category="") & Q(purpose_proposal__isnull=False))
                | (~Q(purpose_category="") & Q(purpose_proposal__isnull=True)),
                name="purpose_draw_one_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal or self.entry} · {self.amount}"


class MonthlyAccount(models.Model):
    """A foundation's public accounts for one month (R21), frozen when posted.

    ``data`` holds the figures as posted (strings of yuan, to the fen); ``chain_head``
    is the hash of the fund's last ledger entry when they were generated, printed on
    them so a later change to the ledger shows against the posted accounts.
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="monthly_accounts", verbose_name=_("基金"))
    month = models.DateField(_("月份"), help_text=_("该月第一天。"))
    data = models.JSONField(_("账目"))
    chain_seq = models.PositiveIntegerField(_("流水序号"), default=0)
    chain_head = models.CharField(_("流水链哈希"), max_length=64)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("月度公开账目")
        verbose_name_plural = _("月度公开账目")
        ordering = ["fund", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "month"], name="monthly_account_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="monthly_account_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} {self.month:%Y-%m}"


class EvaluatorAppointment(models.Model):
    """An evaluator (a third-party assessor, an expert) appointed by street-office staff for a subdistrict (R26)."""

    subdistrict = models.ForeignKey("councils.Subdistrict", on_delete=models.PROTECT,
                                    related_name="evaluator_appointments", verbose_name=_("街道"))
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="evaluator_appointments",
                             verbose_name=_("评估人"))
    affiliation = models.CharField(_("所在机构"), max_length=120, blank=True)
    appointed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("委托人"))
    appointed_at = models.DateTimeField(_("委托时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("结束人"))

    class Meta:
        verbose_name = _("评估人委托")
        verbose_name_plural = _("评估人委托")
        ordering = ["-appointed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subdistrict", "user"], condition=Q(ended_at__isnull=True),
                                    name="evaluator_one_open_appointment"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.subdistrict}"


class Evaluation(models.Model):
    """绩效评估: a mid-term or final evaluation of a proposal's project or a service project (R26)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="evaluations",
                                  verbose_name=_("社区"))
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="evaluations", verbose_name=_("议案"))
    project = models.ForeignKey("needs.ServiceProject", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="evaluations", verbose_name=_("服务项目"))
    stage = models.CharField(_("评估阶段"), max_length=16, choices=EvaluationStage.choices)
    evaluation_class = models.CharField(_("项目类别"), max_length=16, choices=EvaluationClass.choices)
    # {criterion code: points}, each within the criterion's full points (enums.EVALUATION_CRITERIA).
    scores = models.JSONField(_("各项得分"))
    total = models.DecimalField(_("总分"), max_digits=4, decimal_places=1)
    grade = models.CharField(_("等级"), max_length=16, choices=EvaluationGrade.choices)
    findings = models.TextField(_("评估发现"), max_length=4000)
    evaluator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("评估人"))
    appointment = models.ForeignKey(EvaluatorAppointment, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="evaluations", verbose_name=_("委托"))
    recorded_at = models.DateTimeField(_("评估时间"), default=timezone.now)

    class Meta:
        verbose_name = _("绩效评估")
        verbose_name_plural = _("绩效评估")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(proposal__isnull=False) & Q(project__isnull=True))
                | (Q(proposal__isnull=True) & Q(project__isnull=False)),
                name="evaluation_one_subject",
            ),
            models.UniqueConstraint(fields=["proposal", "stage"], condition=Q(proposal__isnull=False),
                                    name="evaluation_once_per_proposal_stage"),
            models.UniqueConstraint(fields=["project", "stage"], condition=Q(project__isnull=False),
                                    name="evaluation_once_per_project_stage"),
            models.CheckConstraint(condition=Q(total__gte=0) & Q(total__lte=100), name="evaluation_total_range"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} · {self.get_stage_display()}"

    @property
    def subject(self):
        return self.proposal if self.proposal_id else self.project


# --------------------------------------------------------------------------- open tenders (R24)


class Tender(models.Model):
    """招标 (R24): an open tender for a released proposal or a service project.

    Bids are sealed until ``closes_at``: nothing shows an amount or a bidder
    before it. Then the group's verified residents vote for one bid each until
    ``votes_close_at``; then the panel selects (R12). ``closed_at`` is when the
    bids were opened (made public and, for a proposal, entered as R12 bids):
    the gates themselves depend on ``closes_at``, not on it.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="tenders", verbose_name=_("社区"))
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="tenders", verbose_name=_("议案")
    )
    project = models.ForeignKey(
        "needs.ServiceProject", on_delete=models.PROTECT, null=True, blank=True, related_name="tenders",
        verbose_name=_("服务项目"),
    )
    title = models.CharField(_("招标项目"), max_length=120)
    requirements = models.TextField(_("招标要求"), max_length=4000)
    budget = models.DecimalField(_("预算上限"), null=True, blank=True, **MONEY)  # a proposal's approved total
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人"))
    closes_at = models.DateTimeField(_("投标截止"))
    voting_days = models.PositiveSmallIntegerField(_("居民投票天数"))
    closed_at = models.DateTimeField(_("开标时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("招标")
        verbose_name_plural = _("招标")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["closes_at"], name="tender_closes_idx")]  # /tenders/: open ones first
        constraints = [
            models.CheckConstraint(
                condition=(Q(proposal__isnull=False) & Q(project__isnull=True))
                | (Q(proposal__isnull=True) & Q(project__isnull=False)),
                name="tender_for_proposal_or_project",
            ),
            models.UniqueConstraint(fields=["proposal"], condition=Q(proposal__isnull=False),
                                    name="tender_one_per_proposal"),
            models.UniqueConstraint(fields=["project"], condition=Q(project__isnull=False),
                                    name="tender_one_per_project"),
            models.CheckConstraint(condition=Q(voting_days__gte=1) & Q(voting_days__lte=30),
                                   name="tender_voting_days_sane"),
            models.CheckConstraint(condition=Q(closes_at__gt=F("published_at")), name="tender_closes_after_publish"),
            models.CheckConstraint(condition=Q(budget__isnull=True) | Q(budget__gt=0), name="tender_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def votes_close_at(self):
        from datetime import timedelta

        return self.closes_at + timedelta(days=self.voting_days)

    def is_sealed(self, now=None) -> bool:
        """Before the close nobody sees an amount or a bidder (R24)."""
        return (now or timezone.now()) < self.closes_at

    def voting_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closes_at <= now < self.votes_close_at


class TenderBid(models.Model):
    """投标 (R24): one organisation's sealed bid, entered on the platform by its admin."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="bids", verbose_name=_("招标"))
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="tender_bids", verbose_name=_("投标方")
    )
    amount = models.DecimalField(_("报价"), **MONEY)
    plan = models.TextField(_("实施方案"), max_length=4000)
    qualifications = models.TextField(_("资质说明"), max_length=2000, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    selected_at = models.DateTimeField(_("中标时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投标")
        verbose_name_plural = _("投标")
        ordering = ["amount", "submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "organisation"], name="tenderbid_one_per_organisation"),
            models.UniqueConstraint(fields=["tender"], condition=Q(selected_at__isnull=False),
                                    name="tenderbid_one_selected"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tenderbid_amount_positive"),
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class BidderVote(models.Model):
    """居民投票 (R24): a verified resident of the group votes for one bid, once per tender."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="votes", verbose_name=_("招标"))
    resident = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("居民"))
    bid = models.ForeignKey(TenderBid, on_delete=models.PROTECT, related_name="votes", verbose_name=_("投标"))
    cast_at = models.DateTimeField(_("投票时间"), default=timezone.now)

    class Meta:
        verbose_name = _("居民投票")
        verbose_name_plural = _("居民投票")
        constraints = [
            models.UniqueConstraint(fields=["tender", "resident"], name="biddervote_one_per_resident"),
        ]

    def __str__(self) -> str:
        return f"{self.tender} · {self.resident}"
