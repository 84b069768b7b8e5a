"""The subdistrict evaluation report (R26): per project, what Chengdu's evaluations publish —
late payments, missing process records and thin resident participation.

Thresholds (documented in docs/domain.md, "Evaluation"):

- late payment: more than ``LATE_DAYS`` (30) days from the community's approval to the street's
  budget approval, or from budget approval to the release of the money; a step still waiting
  counts the days so far;
- missing records: a proposal with money released but on no meeting's agenda (no minutes), with
  fewer than 3 bids 30 days after the release, or in progress more than ``ACCEPTANCE_DAYS`` (90)
  days without an acceptance; a service project claimed more than 14 days without a service
  record, or with activities that ended without a single check-in;
- low participation: a settled proposal that fewer than ``MIN_RATINGS`` (5) residents rated; a
  service project that served (records plus check-ins) less than half its target by its end, or
  whose activities filled less than half their places.

Each list is one query per page (annotations, no N+1); the CSV export streams.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from proposals.enums import EventKind, ProposalStatus
from proposals.models import AgendaItem, Proposal, ProposalEvent, Rating

from .enums import EvaluationStage
from .exports import Table
from .models import Acceptance, Bid, Evaluation

LATE_DAYS = 30
BIDS_AFTER_DAYS = 30
ACCEPTANCE_DAYS = 90
NO_RECORD_DAYS = 14
MIN_RATINGS = 5
HALF = 0.5

PS = ProposalStatus
REPORT_STATES = (PS.APPROVED, PS.FUNDED, PS.RELEASED, PS.IN_PROGRESS, PS.ACCEPTED, PS.SETTLED)


@dataclass
class Row:
    kind: str  # "proposal" | "project"
    obj: object
    community: str
    title: str
    status: str
    late: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    low: list = field(default_factory=list)
    grade: str = ""

    @property
    def grade_label(self) -> str:
        from .enums import EvaluationGrade

        return str(EvaluationGrade(self.grade).label) if self.grade else ""

    @property
    def clean(self) -> bool:
        return not (self.late or self.missing or self.low)


def _event_at(kind):
    return Subquery(
        ProposalEvent.objects.filter(proposal=OuterRef("pk"), kind=kind).order_by("-seq").values("created_at")[:1]
    )


def _n(model, **filters):
    """A correlated COUNT(*) subquery."""
    return Coalesce(
        Subquery(model.objects.filter(**filters).order_by().values(list(filters)[0]).annotate(n=Count("pk"))
                 .values("n")[:1]),
        Value(0), output_field=IntegerField())


def _final_grade(kind):
    return Subquery(Evaluation.objects.filter(**{kind: OuterRef("pk")}, stage=EvaluationStage.FINAL)
                    .values("grade")[:1])


def proposals_queryset(communities):
    return (
        Proposal.objects.filter(group__community__in=communities, status__in=REPORT_STATES)
        .select_related("group__community")
        .annotate(
            approved_at=_event_at(EventKind.APPROVED),
            budget_at=_event_at(EventKind.BUDGET_APPROVED),
            released_at=_event_at(EventKind.FUNDS_RELEASED),
            started_at=_event_at(EventKind.BID_SELECTED),
            has_minutes=Exists(AgendaItem.objects.filter(proposal=OuterRef("pk"))),
            bid_count=_n(Bid, proposal=OuterRef("pk")),
            accepted=Exists(Acceptance.objects.filter(proposal=OuterRef("pk"), passed=True)),
            rating_count=_n(Rating, proposal=OuterRef("pk")),
            final_grade=_final_grade("proposal"),
        )
        .order_by("group__community__name", "-pk")
    )


def projects_queryset(communities):
    from needs.models import Activity, Claim, ServiceProject, ServiceRecord, Signup

    ended = Activity.objects.filter(project=OuterRef("pk"), ends_at__lt=timezone.now())
    return (
        ServiceProject.objects.filter(community__in=communities, status__in=["claimed", "in_service", "completed"])
        .select_related("community")
        .annotate(
            record_count=_n(ServiceRecord, project=OuterRef("pk")),
            recorded=Coalesce(Subquery(
                ServiceRecord.objects.filter(project=OuterRef("pk")).order_by().values("project")
                .annotate(s=Sum("people_served")).values("s")[:1]), Value(0), output_field=IntegerField()),
            checkins=Coalesce(Subquery(
                Signup.objects.filter(activity__project=OuterRef("pk"), checked_in_at__isnull=False).order_by()
                .values("activity__project").annotate(n=Count("pk")).values("n")[:1]), Value(0),
                output_field=IntegerField()),
            places=Coalesce(Subquery(
                ended.order_by().values("project").annotate(s=Sum("capacity")).values("s")[:1]), Value(0),
                output_field=IntegerField()),
            taken=Coalesce(Subquery(
                Signup.objects.filter(activity__project=OuterRef("pk"), activity__ends_at__lt=timezone.now(),
                                      status="signed_up").order_by()
                .values("activity__project").annotate(n=Count("pk")).values("n")[:1]), Value(0),
                output_field=IntegerField()),
            empty_activities=Coalesce(Subquery(
                ended.filter(~Exists(Signup.objects.filter(activity=OuterRef("pk"), checked_in_at__isnull=False)))
                .order_by().values("project").annotate(n=Count("pk")).values("n")[:1]), Value(0),
                output_field=IntegerField()),
            claimed_at=Subquery(
                Claim.objects.filter(project=OuterRef("pk"), status="confirmed")
                .values("decided_at")[:1]),
            final_grade=_final_grade("project"),
        )
        .order_by("community__name", "-pk")
    )


def _days(start, end) -> int:
    return (end - start) // timedelta(days=1)


def proposal_row(p, now=None) -> Row:
    now = now or timezone.now()
    row = Row("proposal", p, p.group.community.name, p.title, p.get_status_display(), grade=p.final_grade or "")
    if p.approved_at:
        days = _days(p.approved_at, p.budget_at or now)
        if days > LATE_DAYS:
            row.late.append(_("社区表决通过到预算核准 %(n)d 天%(w)s") % {
                "n": days, "w": "" if p.budget_at else _("（仍在等待）")})
    if p.budget_at:
        days = _days(p.budget_at, p.released_at or now)
        if days > LATE_DAYS:
            row.late.append(_("预算核准到资金拨付 %(n)d 天%(w)s") % {
                "n": days, "w": "" if p.released_at else _("（仍在等待）")})
    if p.released_at:
        if not p.has_minutes:
            row.missing.append(_("没有列入任何会议议程（缺会议记录）"))
        if p.bid_count < 3 and _days(p.released_at, now) > BIDS_AFTER_DAYS:
            row.missing.append(_("拨付 %(d)d 天后比选报价只有 %(n)d 家") % {
                "d": _days(p.released_at, now), "n": p.bid_count})
    if p.status == PS.IN_PROGRESS and p.started_at and not p.accepted and _days(p.started_at, now) > ACCEPTANCE_DAYS:
        row.missing.append(_("实施 %(n)d 天仍未验收") % {"n": _days(p.started_at, now)})
    if p.status == PS.SETTLED and p.rating_count < MIN_RATINGS:
        row.low.append(_("决算后只有 %(n)d 位居民评价") % {"n": p.rating_count})
    return row


def project_row(sp, now=None) -> Row:
    now = now or timezone.now()
    row = Row("project", sp, sp.community.name, sp.title, sp.get_status_display(), grade=sp.final_grade or "")
    if sp.record_count == 0 and sp.claimed_at and _days(sp.claimed_at, now) > NO_RECORD_DAYS:
        row.missing.append(_("认领 %(n)d 天没有服务记录") % {"n": _days(sp.claimed_at, now)})
    if sp.empty_activities:
        row.missing.append(_("%(n)d 次活动结束时无人签到") % {"n": sp.empty_activities})
    served = sp.recorded + sp.checkins
    ended = sp.status == "completed" or timezone.localdate(now) > sp.ends_on
    if ended and served < sp.people_target * HALF:
        row.low.append(_("服务 %(s)d 人次，不到计划 %(t)d 人的一半") % {"s": served, "t": sp.people_target})
    if sp.places and sp.taken < sp.places * HALF:
        row.low.append(_("已结束的活动报名 %(s)d 人，名额 %(t)d 个，不到一半") % {"s": sp.taken, "t": sp.places})
    return row


def report_table(communities) -> Table:
    """The whole report as a table for the CSV export (streams: one pass over each queryset)."""
    return Table(
        title=_("绩效评估发现"),
        header=[_("社区"), _("类型"), _("项目"), _("状态"), _("拨付慢"), _("缺少过程记录"), _("居民参与少"), _("结项评估等级")],
        rows=_rows(communities),
    )


def _rows(communities):
    from .enums import EvaluationGrade

    now = timezone.now()
    grades = dict(EvaluationGrade.choices)
    for p in proposals_queryset(communities).iterator(chunk_size=500):
        r = proposal_row(p, now)
        yield [r.community, _("议案项目"), r.title, r.status, "；".join(r.late), "；".join(r.missing), "；".join(r.low),
               str(grades.get(r.grade, ""))]
    for sp in projects_queryset(communities).iterator(chunk_size=500):
        r = project_row(sp, now)
        yield [r.community, _("服务项目"), r.title, r.status, "；".join(r.late), "；".join(r.missing),
               "；".join(r.low), str(grades.get(r.grade, ""))]
