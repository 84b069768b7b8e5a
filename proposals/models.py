"""Proposals, their resolutions, notices, ballots and history.

Models hold fields and constraints; every change goes through
``proposals.services``. No model here knows about money movements: the funding
app keeps those and moves the money states through ``proposal_transition``.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.models import Council, Meeting, ResidentGroup

from .enums import (
    BallotKind,
    BallotOutcome,
    Category,
    EventKind,
    ProposalStatus,
    ProxyReason,
    ThresholdBase,
    VoteChoice,
)

User = settings.AUTH_USER_MODEL
MONEY = {"max_digits": 12, "decimal_places": 2}
# R3: a sane ceiling for one courtyard project (10 million yuan).
MONEY_CEILING = Decimal("10000000.00")
# A resident may file this many objections to one notice: enough to raise each concern
# separately, too few to block a proposal by volume (each must be answered before it moves on).
MAX_OBJECTIONS_PER_NOTICE = 3


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove a row of an append-only table (R14)."""


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk UPDATE and DELETE through the ORM.

    With ``Model.save``/``delete`` refusing existing rows this closes the ORM's
    doors; on the database a trigger refuses UPDATE (and DELETE on PostgreSQL),
    migration 0002. What a database owner can still do is caught by the hash
    chain (``manage.py verify_history``).
    """

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")

    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """A row that is written once and never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


class Proposal(models.Model):
    """议案: what residents ask for, with its budget lines and the current state."""

    group = models.ForeignKey(
        ResidentGroup, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("居民小组")
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("提议人"))
    entered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("代录人"), help_text=_("社区工作人员代居民录入时填写。"),
    )
    # R23 党组织提议: set by proposal_create when the author holds a post of the community party organisation.
    by_party = models.BooleanField(_("党组织提议"), default=False, db_default=False)
    title = models.CharField(_("标题"), max_length=120)
    summary = models.TextField(_("内容"), max_length=5000)
    category = models.CharField(_("类别"), max_length=32, choices=Category.choices, default=Category.OTHER)
    status = models.CharField(
        _("状态"), max_length=24, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT, db_index=True
    )
    # R3: total is the sum of the lines, written only by the services from the lines.
    total = models.DecimalField(_("总预算"), **MONEY)
    community_share = models.DecimalField(_("申请公服资金"), **MONEY)
    # Bumped on every edit of text or budget, so a resolution can tell it is stale.
    revision = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    followers = models.ManyToManyField(User, blank=True, related_name="followed_proposals", verbose_name=_("关注者"))

    class Meta:
        verbose_name = _("议案")
        verbose_name_plural = _("议案")
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["group", "status"]),
            # The public list (proposals.views.public.public_list): public proposals ORDER BY
            # updated_at DESC, id DESC LIMIT 20 walks this index instead of sorting every proposal.
            models.Index(fields=["-updated_at", "-id"], name="proposal_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="proposal_total_positive"),
            models.CheckConstraint(condition=Q(total__lte=MONEY_CEILING), name="proposal_total_ceiling"),
            models.CheckConstraint(condition=Q(community_share__gte=0), name="proposal_share_nonnegative"),
            models.CheckConstraint(
                condition=Q(community_share__lte=F("total")), name="proposal_share_within_total"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def self_raised_share(self) -> Decimal:
        """R3: community share + self-raised share = total."""
        return self.total - self.community_share

    @property
    def community(self):
        return self.group.community


class BudgetLine(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="lines", verbose_name=_("议案"))
    position = models.PositiveSmallIntegerField(_("序号"))
    item = models.CharField(_("项目"), max_length=120)
    quantity = models.DecimalField(_("数量"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=20)
    unit_price = models.DecimalField(_("单价"), **MONEY)

    class Meta:
        verbose_name = _("预算明细")
        verbose_name_plural = _("预算明细")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "position"], name="budgetline_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="budgetline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="budgetline_price_positive"),
        ]

    def __str__(self) -> str:
        return self.item

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Ballot(models.Model):
    """表决: a group ballot (R4) or a community ballot (R7).

    The threshold rule is stored as a value so both kinds share one tally
    (``proposals.thresholds``). The electorate is frozen in ``BallotElector``
    rows when the ballot opens.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("议案"))
    kind = models.CharField(_("类别"), max_length=16, choices=BallotKind.choices)
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("议事会"))
    resolution = models.ForeignKey(
        "Resolution", on_delete=models.PROTECT, null=True, blank=True, related_name="ballots",
        verbose_name=_("决议"), help_text=_("社区表决所依据的已公示决议。"),
    )
    # For a group ballot: the proposal revision the members are voting on.
    proposal_revision = models.PositiveIntegerField(_("议案版本"))
    threshold_numerator = models.PositiveSmallIntegerField(_("通过比例分子"))
    threshold_denominator = models.PositiveSmallIntegerField(_("通过比例分母"))
    threshold_base = models.CharField(
        _("计算基数"), max_length=16, choices=ThresholdBase.choices, default=ThresholdBase.ELECTORATE
    )
    threshold_inclusive = models.BooleanField(_("含本数"))
    electorate_size = models.PositiveSmallIntegerField(_("应参加表决人数"))
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人"))
    opened_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    closes_at = models.DateTimeField(_("截止时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("结束人")
    )
    outcome = models.CharField(_("结果"), max_length=16, choices=BallotOutcome.choices, blank=True)
    # Fixed when the ballot closes.
    approve_count = models.PositiveSmallIntegerField(_("赞成"), default=0)
    oppose_count = models.PositiveSmallIntegerField(_("反对"), default=0)
    abstain_count = models.PositiveSmallIntegerField(_("弃权"), default=0)

    class Meta:
        verbose_name = _("表决")
        verbose_name_plural = _("表决")
        ordering = ["-opened_at"]
        constraints = [
            # Only one open ballot of a kind per proposal.
            models.UniqueConstraint(
                fields=["proposal", "kind"], condition=Q(closed_at__isnull=True), name="ballot_one_open_per_kind"
            ),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opened_at")), name="ballot_closes_after_opening"),
            models.CheckConstraint(
                condition=Q(threshold_denominator__gt=0)
                & Q(threshold_numerator__gt=0)
                & Q(threshold_numerator__lte=F("threshold_denominator")),
                name="ballot_threshold_fraction",
            ),
            models.CheckConstraint(
                condition=(Q(closed_at__isnull=True) & Q(outcome=""))
                | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="ballot_outcome_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(
                    electorate_size__gte=F("approve_count") + F("oppose_count") + F("abstain_count")
                ),
                name="ballot_counts_within_electorate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.proposal}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def accepts_votes_at(self, at) -> bool:
        """R7: no vote after ``closes_at``, whether or not a job has closed the ballot."""
        return self.closed_at is None and at < self.closes_at


class BallotElector(models.Model):
    """A member of the frozen electorate of a ballot (R7)."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="electors")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("表决人")
        verbose_name_plural = _("表决人")
        constraints = [models.UniqueConstraint(fields=["ballot", "user"], name="elector_once")]


class Vote(AppendOnlyModel):
    """One vote, final once cast (R7)."""

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="votes", verbose_name=_("表决"))
    voter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="votes", verbose_name=_("表决人"))
    choice = models.CharField(_("选择"), max_length=16, choices=VoteChoice.choices)
    cast_at = models.DateTimeField(_("投票时间"), default=timezone.now)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("代录人"), help_text=_("社区工作人员代为录入时填写。"),
    )
    # Why staff entered this vote for the member; shown to supervisors and in the ballot record.
    proxy_reason = models.CharField(
        _("代录依据"), max_length=16, choices=ProxyReason.choices, blank=True, db_default="",
    )
    proxy_detail = models.CharField(_("代录说明"), max_length=200, blank=True, db_default="")

    class Meta:
        verbose_name = _("投票")
        verbose_name_plural = _("投票")
        ordering = ["cast_at"]
        constraints = [
            # R7: each elector votes at most once; the race is impossible, not only checked.
            models.UniqueConstraint(fields=["ballot", "voter"], name="vote_once_per_elector"),
            models.CheckConstraint(
                condition=Q(choice__in=VoteChoice.values), name="vote_choice_valid"
            ),
            # A member's own vote carries no reason; a reason is a kind and a detail together.
            # (vote_cast requires one for every vote staff enter; votes entered before the reason
            # existed cannot be given one afterwards, votes being append-only.)
            models.CheckConstraint(
                condition=(Q(recorded_by__isnull=False) | Q(proxy_reason="", proxy_detail=""))
                & (Q(proxy_reason="", proxy_detail="") | (~Q(proxy_reason="") & ~Q(proxy_detail=""))),
                name="vote_proxy_reason_complete",
            ),
        ]


class Resolution(AppendOnlyModel):
    """决议: the proposal's text and budget as adopted, frozen, with a content hash (R4)."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="resolutions", verbose_name=_("议案")
    )
    number = models.PositiveSmallIntegerField(_("第几次决议"))
    proposal_revision = models.PositiveIntegerField(_("议案版本"))
    title = models.CharField(_("标题"), max_length=120)
    text = models.TextField(_("决议内容"))
    category = models.CharField(_("类别"), max_length=32, choices=Category.choices)
    budget = models.JSONField(_("预算明细"))
    total = models.DecimalField(_("总预算"), **MONEY)
    community_share = models.DecimalField(_("申请公服资金"), **MONEY)
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    adopted_at = models.DateTimeField(_("通过时间"), default=timezone.now)
    ballot = models.OneToOneField(
        Ballot, on_delete=models.PROTECT, related_name="adopted_resolution", verbose_name=_("小组表决")
    )

    class Meta:
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        ordering = ["proposal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="resolution_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（第{self.number}号决议）"

    @property
    def self_raised_share(self) -> Decimal:
        return self.total - self.community_share


class Notice(models.Model):
    """公示 of a resolution to its group (R5). It runs ``[published_at, ends_at)``."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="notices", verbose_name=_("议案"))
    resolution = models.ForeignKey(
        Resolution, on_delete=models.PROTECT, related_name="notices", verbose_name=_("决议")
    )
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人"))
    published_at = models.DateTimeField(_("公示开始"))
    ends_at = models.DateTimeField(_("公示结束"))
    # Set when an upheld objection sends the proposal back: this notice no longer counts.
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-published_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("published_at")), name="notice_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.resolution} 公示"

    def is_running(self, at=None) -> bool:
        at = at or timezone.now()
        return self.voided_at is None and self.published_at <= at < self.ends_at


class Objection(models.Model):
    """异议 by a verified resident of the group, answered by the group council (R5)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections", verbose_name=_("公示"))
    resident = models.ForeignKey(User, on_delete=models.PROTECT, related_name="objections", verbose_name=_("异议人"))
    text = models.TextField(_("异议内容"), max_length=2000)
    filed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("代录人")
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("答复人")
    )
    upheld = models.BooleanField(_("采纳"), null=True, blank=True)
    answer = models.TextField(_("答复"), max_length=2000, blank=True)
    # The resident's n-th objection to this notice (1..MAX_OBJECTIONS_PER_NOTICE) and a digest of
    # the normalised text: with the constraints below, neither a flood nor a double click gets past.
    # Empty on objections filed before the limit existed.
    slot = models.PositiveSmallIntegerField(_("序号"), null=True, blank=True, editable=False)
    text_key = models.CharField(max_length=64, blank=True, editable=False, db_default="")

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "resident", "slot"], condition=Q(slot__isnull=False),
                name="objection_slot_once",
            ),
            models.CheckConstraint(
                condition=Q(slot__isnull=True) | Q(slot__gte=1, slot__lte=MAX_OBJECTIONS_PER_NOTICE),
                name="objection_slots_bounded",
            ),
            models.UniqueConstraint(
                fields=["notice", "resident", "text_key"], condition=~Q(text_key=""),
                name="objection_text_once",
            ),
            models.CheckConstraint(
                condition=(Q(answered_at__isnull=True) & Q(upheld__isnull=True))
                | (Q(answered_at__isnull=False) & Q(upheld__isnull=False)),
                name="objection_answer_complete",
            ),
        ]


class AgendaItem(models.Model):
    """议程: a proposal on a meeting's agenda."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name=_("会议"))
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="agenda_items", verbose_name=_("议案")
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("添加人"))
    # 路演: the group's presentation of a submitted proposal to the community council,
    # recorded at the meeting (proposals.services.roadshow_record).
    presenter = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("介绍人")
    )
    presentation = models.TextField(_("项目介绍"), max_length=4000, blank=True, db_default="")
    self_raised_source = models.TextField(_("自筹资金来源"), max_length=2000, blank=True, db_default="")
    presented_at = models.DateTimeField(_("路演记录时间"), null=True, blank=True)
    presentation_recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("路演记录人")
    )

    class Meta:
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "proposal"], name="agenda_once_per_meeting"),
        ]


class RoadshowQuestion(models.Model):
    """A council member's question at a roadshow, and the group's answer, recorded at the meeting."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="questions", verbose_name=_("议程"))
    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("提问人"))
    question = models.TextField(_("提问"), max_length=2000)
    answer = models.TextField(_("回答"), max_length=2000)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("路演问答")
        verbose_name_plural = _("路演问答")
        ordering = ["item", "recorded_at", "pk"]


class Opinion(models.Model):
    """监督意见 recorded by a supervisor (R11)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="opinions", verbose_name=_("议案"))
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("监督人"))
    text = models.TextField(_("意见"), max_length=4000)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监督意见")
        verbose_name_plural = _("监督意见")
        ordering = ["created_at"]


class Hold(models.Model):
    """暂停: a supervisor's hold. While open it blocks release and settlement (R11)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="holds", verbose_name=_("议案"))
    placed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("暂停人"))
    reason = models.TextField(_("理由"), max_length=2000)
    placed_at = models.DateTimeField(_("暂停时间"), default=timezone.now)
    lifted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("解除人")
    )
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lift_reason = models.TextField(_("解除理由"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("暂停")
        verbose_name_plural = _("暂停")
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["proposal"], condition=Q(lifted_at__isnull=True), name="hold_open_idx")]

    @property
    def is_open(self) -> bool:
        return self.lifted_at is None


class Rating(models.Model):
    """A resident's rating of the finished work (1–5), once per resident."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("议案"))
    resident = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("居民"))
    stars = models.PositiveSmallIntegerField(_("评分"))
    comment = models.TextField(_("评价"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("居民评价")
        verbose_name_plural = _("居民评价")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "resident"], name="rating_once"),
            models.CheckConstraint(condition=Q(stars__gte=1) & Q(stars__lte=5), name="rating_stars_1_5"),
        ]


class ProposalEvent(AppendOnlyModel):
    """时间线: append-only, hash-chained history of a proposal (R14).

    ``hash`` = sha256 of the previous event's hash and this event's canonical
    content (``proposals.history``). Rows are never updated or deleted; the
    ``verify_history`` command recomputes every chain.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="events", verbose_name=_("议案"))
    seq = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("事件"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人"),
        help_text=_("空表示系统自动。"),
    )
    on_behalf_of = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("代表"),
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    from_status = models.CharField(_("原状态"), max_length=24, choices=ProposalStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24, choices=ProposalStatus.choices, blank=True)
    reason = models.TextField(_("说明"), blank=True)
    amounts = models.JSONField(_("金额"), default=dict, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    prev_hash = models.CharField(_("上一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("议案事件")
        verbose_name_plural = _("议案事件")
        ordering = ["proposal", "seq"]
        indexes = [
            # The home page's latest decisions (portal.selectors.decisions_recent):
            # kind IN ('approved', 'rejected', 'settled') ORDER BY created_at DESC LIMIT 8
            # reads the newest entries of this partial index instead of scanning every event.
            models.Index(
                fields=["-created_at"], name="event_decisions_idx",
                condition=Q(kind__in=["approved", "rejected", "settled"]),
            ),
        ]
        constraints = [
            # One writer wins each link of the chain; a concurrent writer fails and retries nothing.
            models.UniqueConstraint(fields=["proposal", "seq"], name="event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()}"
