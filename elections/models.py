"""推选: elections of a group council or a supervisory board (R20).

Secrecy is built into the tables. The roll (``ElectionVoter``) says who voted and
how (online, or on paper into which box); the ballot paper (``BallotPaper``) holds
the choices and nothing that points back to a person: no foreign key to a user,
a random UUID as its key (so neither the key nor the default ordering follows
the order of voting), the day only, and no method or box (a lone paper voter
would otherwise be found by matching). Both rows are written in one transaction,
so neither exists without the other.
"""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.models import Community, Council, ResidentGroup, SupervisoryBoard, User

from .enums import OPEN_STATUSES, CandidateResult, ElectionEventKind, ElectionStatus, Phase, VoteMethod


class Election(models.Model):
    """An election of every seat of one group council or one community's supervisory board."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="elections", verbose_name=_("社区")
    )
    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, null=True, blank=True, related_name="elections",
        verbose_name=_("议事会"),
    )
    board = models.ForeignKey(
        SupervisoryBoard, on_delete=models.PROTECT, null=True, blank=True, related_name="elections",
        verbose_name=_("监事会"),
    )
    # The resident group whose verified residents are the roll; null for a board
    # election, whose roll is every verified resident of the community.
    group = models.ForeignKey(
        ResidentGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="elections",
        verbose_name=_("居民小组"),
    )
    seats = models.PositiveSmallIntegerField(_("应选人数"))
    uncontested = models.BooleanField(_("等额选举"), default=False)
    nominations_close = models.DateTimeField(_("提名截止"))
    opens_at = models.DateTimeField(_("投票开始"))
    closes_at = models.DateTimeField(_("投票截止"))
    term_years = models.PositiveSmallIntegerField(_("任期（年）"), default=5)
    status = models.CharField(
        _("状态"), max_length=20, choices=ElectionStatus.choices, default=ElectionStatus.SCHEDULED
    )
    current_round = models.PositiveSmallIntegerField(_("当前轮次"), default=1)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人"))
    opened_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推选")
        verbose_name_plural = _("推选")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(council__isnull=False) & Q(board__isnull=True))
                | (Q(council__isnull=True) & Q(board__isnull=False)),
                name="election_one_target",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="election_seats_positive"),
            models.CheckConstraint(
                condition=Q(nominations_close__lte=F("opens_at")) & Q(opens_at__lt=F("closes_at")),
                name="election_times_in_order",
            ),
            # One running election per council and per board.
            models.UniqueConstraint(
                fields=["council"], condition=Q(status__in=OPEN_STATUSES), name="election_one_open_per_council"
            ),
            models.UniqueConstraint(
                fields=["board"], condition=Q(status__in=OPEN_STATUSES), name="election_one_open_per_board"
            ),
        ]

    def __str__(self) -> str:
        return str(_("%(body)s推选") % {"body": self.body_name})

    @property
    def body_name(self) -> str:
        return self.council.name if self.council_id else self.board.name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def phase(self, at=None) -> str:
        """Where the current round stands at ``at``: derived from the clock and the stored state."""
        at = at or timezone.now()
        if self.status in (ElectionStatus.COMPLETED, ElectionStatus.INVALID, ElectionStatus.CANCELLED,
                           ElectionStatus.AWAITING_RUNOFF):
            return Phase.CLOSED
        if self.status == ElectionStatus.RUNOFF:
            round_ = self.rounds.get(number=self.current_round)
            return Phase.VOTING if at < round_.closes_at else Phase.COUNTING
        if at < self.nominations_close:
            return Phase.NOMINATION
        if at < self.opens_at:
            return Phase.CANDIDATES
        if at < self.closes_at:
            return Phase.VOTING
        return Phase.COUNTING


class Candidate(models.Model):
    """候选人: nominated by staff, or by themselves with at least 3 supporting residents."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="candidates", verbose_name=_("推选"))
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="candidacies", verbose_name=_("候选人"))
    nominated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("提名人"))
    supporters = models.ManyToManyField(User, blank=True, related_name="+", verbose_name=_("联名居民"))
    statement = models.TextField(_("个人陈述"), max_length=1000, blank=True)
    nominated_at = models.DateTimeField(_("提名时间"), default=timezone.now)
    result = models.CharField(_("结果"), max_length=16, choices=CandidateResult.choices, blank=True)
    elected_round = models.PositiveSmallIntegerField(_("当选轮次"), null=True, blank=True)

    class Meta:
        verbose_name = _("候选人")
        verbose_name_plural = _("候选人")
        ordering = ["election", "user__full_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["election", "user"], name="candidate_once_per_election"),
        ]

    def __str__(self) -> str:
        return self.user.display_name


class ElectionRound(models.Model):
    """One round of voting: the first, or a runoff for the seats left. Counts are fixed at closing."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("推选"))
    number = models.PositiveSmallIntegerField(_("轮次"))
    seats = models.PositiveSmallIntegerField(_("本轮应选人数"))
    candidates = models.ManyToManyField(Candidate, related_name="rounds", verbose_name=_("本轮候选人"))
    opens_at = models.DateTimeField(_("投票开始"))
    closes_at = models.DateTimeField(_("投票截止"))
    roll_frozen_at = models.DateTimeField(_("名册确定时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("计票时间"), null=True, blank=True)
    roll_size = models.PositiveIntegerField(_("选民人数"), null=True, blank=True)
    ballots_cast = models.PositiveIntegerField(_("投票人数"), null=True, blank=True)
    blank_ballots = models.PositiveIntegerField(_("空白票"), null=True, blank=True)
    valid = models.BooleanField(_("有效"), null=True, blank=True)
    # {candidate id: votes}, written once at closing; never while the round is open.
    tallies = models.JSONField(_("得票"), default=dict, blank=True)

    class Meta:
        verbose_name = _("投票轮次")
        verbose_name_plural = _("投票轮次")
        ordering = ["election", "number"]
        constraints = [
            models.UniqueConstraint(fields=["election", "number"], name="round_once_per_election"),
            models.CheckConstraint(condition=Q(opens_at__lt=F("closes_at")), name="round_times_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.election} #{self.number}"

    def votes_for(self, candidate) -> int:
        return int(self.tallies.get(str(candidate.pk), 0))


class ElectionVoter(models.Model):
    """The roll, frozen when voting opens: one row per voter per round, marked once."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="roll", verbose_name=_("推选"))
    round = models.ForeignKey(ElectionRound, on_delete=models.PROTECT, related_name="roll", verbose_name=_("轮次"))
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("选民"))
    voted = models.BooleanField(_("已投票"), default=False)
    method = models.CharField(_("方式"), max_length=8, choices=VoteMethod.choices, blank=True)
    box = models.CharField(_("票箱号"), max_length=20, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("录入人")
    )

    class Meta:
        verbose_name = _("选民")
        verbose_name_plural = _("选民名册")
        ordering = ["round", "user__full_name", "user__username"]
        constraints = [
            # One ballot per voter per round: the roll row is marked by a conditional UPDATE.
            models.UniqueConstraint(fields=["round", "user"], name="voter_once_per_round"),
            models.CheckConstraint(
                condition=(Q(voted=False) & Q(method="") & Q(box=""))
                | (Q(voted=True) & Q(method=VoteMethod.ONLINE) & Q(box=""))
                | (Q(voted=True) & Q(method=VoteMethod.PAPER) & ~Q(box="")),
                name="voter_mark_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.round}"


class BallotPaper(models.Model):
    """选票: the choices of one ballot, and nothing that leads back to the voter.

    No user, no time finer than the day, no method or box, and a random key; ordered
    by that key so a listing never follows the order in which papers were cast.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="papers", verbose_name=_("推选"))
    round = models.ForeignKey(ElectionRound, on_delete=models.PROTECT, related_name="papers", verbose_name=_("轮次"))
    cast_on = models.DateField(_("投票日期"))
    # Candidate ids, sorted: the order in which a voter ticked the names is not kept.
    choices = models.JSONField(_("所选候选人"), default=list, blank=True)

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.id)


class ElectionEvent(models.Model):
    """What happened to an election, by whom. Never a ballot: no event records that anyone voted."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="events", verbose_name=_("推选"))
    kind = models.CharField(_("事件"), max_length=20, choices=ElectionEventKind.choices)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("推选记录")
        verbose_name_plural = _("推选记录")
        ordering = ["created_at", "pk"]
