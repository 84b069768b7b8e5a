"""My group (residents) and the review queue (group-council members)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from councils.models import Meeting, ResidentGroup
from councils.policies import group_council, seated_members
from proposals import selectors
from proposals.enums import BallotKind
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Notice, Objection, Proposal, Vote

from .access import viewer_for
from .common import forbidden


QUEUE_PER_PAGE = 30


def _running_notice(now):
    return Notice.objects.filter(proposal=OuterRef("pk"), voided_at__isnull=True).order_by("-published_at")


@login_required
def my_group(request):
    """我的院落: the group's proposals, its notices now running, its council and meetings."""
    viewer = viewer_for(request)
    group_id = viewer.residency_group_id
    if group_id is None and viewer.group_council_group_ids:
        group_id = min(viewer.group_council_group_ids)
    if group_id is None:
        return forbidden(request, _("您还不是已核实的居民，也不是居民小组议事会成员。请先请社区工作人员核实您的居住信息。"))
    group = ResidentGroup.objects.select_related("community").get(pk=group_id)
    now = timezone.now()
    proposals = list(
        selectors.proposals_visible_to(request.user).filter(group=group)
        .annotate(notice_ends_at=Subquery(_running_notice(now).values("ends_at")[:1]))
        .order_by("-updated_at", "-pk")[:100]
    )
    notices = list(
        Notice.objects.filter(proposal__group=group, voided_at__isnull=True, published_at__lte=now, ends_at__gt=now)
        .select_related("proposal", "resolution")
        .annotate(objection_count=Count("objections"))
        .order_by("ends_at")
    )
    council = group_council(group)
    members = list(seated_members(council)) if council else []
    meetings = list(
        Meeting.objects.filter(council__group=group)
        .annotate(present_count=Count("attendance", filter=Q(attendance__present=True)))
        .order_by("-held_at")[:20]
    )
    return render(request, "proposals/my_group.html", {
        "group": group, "proposals": proposals, "notices": notices, "council": council, "members": members,
        "meetings": meetings, "now": now,
        "is_resident": viewer.residency_group_id == group.pk,
        "is_member": viewer.is_group_council_member(group.pk),
    })


@login_required
def review_queue(request):
    """待办: what the group council has to do — ballots to open or vote in, notices to publish, objections to answer."""
    viewer = viewer_for(request)
    group_ids = viewer.group_council_group_ids
    if not group_ids:
        return forbidden(request, _("只有居民小组议事会成员有待议事项。"))
    user = request.user
    now = timezone.now()
    open_ballot = Ballot.objects.filter(proposal=OuterRef("pk"), kind=BallotKind.GROUP, closed_at__isnull=True)
    unanswered = (
        Objection.objects.filter(notice__proposal=OuterRef("pk"), notice__voided_at__isnull=True,
                                 answered_at__isnull=True)
        .order_by()
        .values("notice__proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    mine = Proposal.objects.filter(group_id__in=group_ids, status__in=[S.GROUP_REVIEW, S.ADOPTED, S.NOTICE])
    counts = mine.aggregate(
        review=Count("pk", filter=Q(status=S.GROUP_REVIEW)), adopted=Count("pk", filter=Q(status=S.ADOPTED)),
        notice=Count("pk", filter=Q(status=S.NOTICE)),
    )
    # One page of QUEUE_PER_PAGE across the three sections, in their order (a council of a big
    # group can have many waiting; each row costs five subqueries).
    paginator = Paginator(
        mine.select_related("group", "author")
        .annotate(
            open_ballot_id=Subquery(open_ballot.values("pk")[:1]),
            open_ballot_closes_at=Subquery(open_ballot.values("closes_at")[:1]),
            my_vote=Subquery(
                Vote.objects.filter(ballot__proposal=OuterRef("pk"), ballot__kind=BallotKind.GROUP,
                                    ballot__closed_at__isnull=True, voter=user).values("choice")[:1]
            ),
            unanswered=Coalesce(Subquery(unanswered, output_field=IntegerField()), Value(0)),
            notice_ends_at=Subquery(_running_notice(now).values("ends_at")[:1]),
            section=Case(When(status=S.GROUP_REVIEW, then=Value(0)), When(status=S.ADOPTED, then=Value(1)),
                         default=Value(2)),
        )
        .order_by("section", "updated_at", "pk"),
        QUEUE_PER_PAGE,
    )
    paginator.count = counts["review"] + counts["adopted"] + counts["notice"]  # no second COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    proposals = list(page.object_list)
    return render(request, "proposals/review_queue.html", {
        "page": page, "counts": counts,
        "review": [p for p in proposals if p.status == S.GROUP_REVIEW],
        "adopted": [p for p in proposals if p.status == S.ADOPTED],
        "notice": [p for p in proposals if p.status == S.NOTICE],
        "now": now,
    })
