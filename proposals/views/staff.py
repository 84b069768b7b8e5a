"""The community staff workbench: ballots to open and close, notices running, entries on behalf.

Moved here from ``councils`` so that ``councils`` imports nothing from ``proposals``
(docs/architecture.md). The URL names stay ``councils:staff_home``, ``councils:ballot_open``,
``councils:ballot_close``, ``councils:proxy_vote`` and ``councils:proxy_objection``: ``yishi/urls.py``
mounts :data:`urlpatterns` below in the ``councils`` namespace beside the residents and seats pages.

Every view: log-in required, the community must be one where the user holds a community staff
post (another community answers 404), a role without the right answers 403 with the reason.
Mutations are POST-only and call one service; a refusal (``DomainError``) is shown next to the
form that caused it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils.forms import default_closes_at
from councils.models import Residency
from councils.views import (
    is_street_staff_anywhere,
    require_staff_of,
    staff_communities,
    staff_scope,
    with_community,
)
from proposals import services as proposal_services
from proposals.enums import BallotKind, ProposalStatus
from proposals.forms import ProxyObjectionForm, ProxyVoteForm, StaffBallotOpenForm
from proposals.models import Ballot, Notice, Proposal
from yishi.errors import DomainError, PermissionDenied
from yishi.paging import named_page
from yishi.views import attempt

# --------------------------------------------------------------------------- staff home


STAFF_PER_PAGE = 20

def _home_context(request, community, communities, *, failed=None):
    """Everything the staff home shows. ``failed``: (proposal pk, bound form) after a refusal."""
    # Each list is paginated (STAFF_PER_PAGE, its own page parameter): a busy community's staff home
    # rendered every submitted proposal with its form, every open ballot and notice (170 KB).
    submitted_page = named_page(
        Proposal.objects.filter(group__community=community, status=ProposalStatus.SUBMITTED)
        .select_related("group")
        .order_by("updated_at", "pk"),
        STAFF_PER_PAGE, request, "submitted",
    )
    submitted = list(submitted_page.object_list)
    rows = []
    for proposal in submitted:
        if failed and failed[0] == proposal.pk:
            form = failed[1]
        else:
            form = StaffBallotOpenForm(initial={"closes_at": default_closes_at()}, auto_id=f"id_p{proposal.pk}_%s")
        rows.append((proposal, form))
    ballots_page = named_page(
        Ballot.objects.filter(
            kind=BallotKind.COMMUNITY, closed_at__isnull=True, proposal__group__community=community
        )
        .select_related("proposal__group")
        .annotate(
            approves=Count("votes", filter=Q(votes__choice="approve")),
            cast=Count("votes"),
        )
        .order_by("closes_at", "pk"),
        STAFF_PER_PAGE, request, "ballots",
    )
    ballots = list(ballots_page.object_list)
    now = timezone.now()
    for ballot in ballots:
        ballot.needed = proposal_services.ballot_threshold(ballot).approvals_needed(
            electorate=ballot.electorate_size, votes_cast=ballot.cast
        )
        # What the close service will accept now (it checks again): shown before the click.
        ballot.remaining = ballot.electorate_size - ballot.cast
        ballot.close_now = (
            now >= ballot.closes_at or ballot.remaining == 0
            or ballot.approves >= ballot.needed or ballot.approves + ballot.remaining < ballot.needed
        )
    notices_page = named_page(
        Notice.objects.filter(
            proposal__group__community=community, proposal__status=ProposalStatus.NOTICE,
            voided_at__isnull=True, ends_at__gt=timezone.now(),
        )
        .select_related("proposal__group")
        .order_by("ends_at", "pk"),
        STAFF_PER_PAGE, request, "notices",
    )
    notices = list(notices_page.object_list)
    pending = Residency.objects.filter(
        group__community=community, verified_at__isnull=True, ends_at__isnull=True
    ).count()
    return {
        "community": community,
        "communities": communities,
        "submitted_rows": rows,
        "ballots": ballots,
        "notices": notices,
        "submitted_page": submitted_page, "ballots_page": ballots_page, "notices_page": notices_page,
        "pending_count": pending,
        "is_street_staff": is_street_staff_anywhere(request.user),
    }


@login_required
def staff_home(request):
    communities = list(staff_communities(request.user))
    if not communities:
        if is_street_staff_anywhere(request.user):
            return redirect("funding:review_queue")
        raise PermissionDenied(_("这个页面只对社区工作人员开放。"))
    community, communities = staff_scope(request)
    return render(request, "proposals/staff/home.html", _home_context(request, community, communities))


@login_required
@require_POST
def ballot_open(request, pk):
    """Open the community ballot on a SUBMITTED proposal (R7)."""
    proposal = get_object_or_404(Proposal.objects.select_related("group__community"), pk=pk)
    community = proposal.group.community
    require_staff_of(request, community)
    form = StaffBallotOpenForm(request.POST, auto_id=f"id_p{proposal.pk}_%s")
    if form.is_valid():
        if attempt(request, lambda: proposal_services.community_ballot_open(
                proposal=proposal, actor=request.user, closes_at=form.cleaned_data["closes_at"]),
                success=_("已发起社区表决：%(title)s") % {"title": proposal.title}, form=form):
            return redirect(with_community(reverse("councils:staff_home"), community))
    communities = list(staff_communities(request.user))
    context = _home_context(request, community, communities, failed=(proposal.pk, form))
    return render(request, "proposals/staff/home.html", context)


@login_required
@require_POST
def ballot_close(request, pk):
    """Close a community ballot early once the outcome can no longer change (R7)."""
    ballot = get_object_or_404(
        Ballot.objects.select_related("proposal__group__community"), pk=pk, kind=BallotKind.COMMUNITY
    )
    community = ballot.proposal.group.community
    require_staff_of(request, community)
    attempt(request, lambda: proposal_services.ballot_close(ballot=ballot, actor=request.user),
             success=_("表决已结束：%(title)s") % {"title": ballot.proposal.title})
    return redirect(with_community(reverse("councils:staff_home"), community))


# --------------------------------------------------------------------------- entries on behalf


def _proxy_vote_render(request, ballot, form, status=200):
    return render(request, "proposals/staff/proxy_vote.html", {"ballot": ballot, "form": form,
                                                        "community": ballot.proposal.group.community},
                  status=status)


@login_required
def proxy_vote(request, pk):
    """Staff record a paper vote for a community-council member (recorded as such, R7)."""
    ballot = get_object_or_404(
        Ballot.objects.select_related("proposal__group__community"), pk=pk, kind=BallotKind.COMMUNITY
    )
    community = ballot.proposal.group.community
    require_staff_of(request, community)
    if request.method != "POST":
        return _proxy_vote_render(request, ballot, ProxyVoteForm())
    form = ProxyVoteForm(request.POST)
    if form.is_valid():
        try:
            proposal_services.vote_cast(
                ballot=ballot, voter=form.cleaned_data["account"], choice=form.cleaned_data["choice"],
                recorded_by=request.user, proxy_reason=form.cleaned_data["proxy_reason"],
                proxy_detail=form.cleaned_data["proxy_detail"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("已代录 %(name)s 的表决。") % {"name": form.cleaned_data["account"].display_name}
            )
            return redirect(with_community(reverse("councils:staff_home"), community))
    return _proxy_vote_render(request, ballot, form)


@login_required
def proxy_objection(request, pk):
    """Staff enter a written objection for a resident of the group (recorded as such, R5)."""
    notice = get_object_or_404(Notice.objects.select_related("proposal__group__community"), pk=pk)
    community = notice.proposal.group.community
    require_staff_of(request, community)
    form = ProxyObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal_services.objection_file(
                notice=notice, resident=form.cleaned_data["account"], text=form.cleaned_data["text"],
                recorded_by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已代录异议。"))
            return redirect(with_community(reverse("councils:staff_home"), community))
    return render(request, "proposals/staff/proxy_objection.html", {"notice": notice, "form": form, "community": community})


# Mounted in the ``councils`` namespace by yishi/urls.py (the names predate the move).
urlpatterns = [
    path("staff/", staff_home, name="staff_home"),
    path("staff/proposals/<int:pk>/ballot/", ballot_open, name="ballot_open"),
    path("staff/ballots/<int:pk>/close/", ballot_close, name="ballot_close"),
    path("staff/ballots/<int:pk>/proxy-vote/", proxy_vote, name="proxy_vote"),
    path("staff/notices/<int:pk>/proxy-objection/", proxy_objection, name="proxy_objection"),
]
