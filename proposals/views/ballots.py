"""Ballots (R4, R7): my ballots, the ballot page with its live tally, voting with a confirmation step.

The ballot page is for the electorate, the council, community staff and the
supervisors in scope: it names who has voted (roll-call). Anyone else in the
community gets 403 with the reason; anyone outside it 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Func, Max, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from councils.models import User
from proposals import selectors, services
from proposals.enums import BallotKind, VoteChoice
from proposals.forms import VoteForm
from proposals.models import Ballot, BallotElector, Notice, Objection, Vote
from yishi.errors import DomainError
from yishi.public_cache import cached_fragment, minute

from .access import viewer_for
from .common import error_status, forbidden, template_for
from .public import _resolution_rows

PAGE = "proposals/ballot.html"
BALLOTS_PER_PAGE = 30


class _Forbidden(Exception):
    pass


def _ballot_for(request, pk):
    """(ballot, is_elector) if the viewer may see the ballot; 403 inside the community, 404 outside."""
    ballot = get_object_or_404(
        Ballot.objects.select_related(
            "proposal__group__community__subdistrict", "council", "resolution", "opened_by", "closed_by"
        ),
        pk=pk,
    )
    viewer = viewer_for(request)
    elector = ballot.electors.filter(user=request.user).exists()
    if viewer.sees_ballot(ballot, elector=elector):
        return ballot, elector
    community = ballot.proposal.group.community
    if viewer.touches_community(community.pk, community.subdistrict_id):
        raise _Forbidden(_("只有参加这次表决的成员、本议事会成员、社区工作人员和监督人员可以查看表决页面。"))
    raise Http404


def _guarded(view):
    def wrapper(request, pk, *args, **kwargs):
        try:
            return view(request, pk, *args, **kwargs)
        except _Forbidden as refusal:
            return forbidden(request, str(refusal))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def tally_context(ballot) -> dict:
    """Counts (services.ballot_tally), the roll-call and the time left, in 3 queries whatever the size."""
    tally = services.ballot_tally(ballot)
    votes = {v.voter_id: v for v in ballot.votes.select_related("recorded_by")}
    roll = [
        {"user": e.user, "vote": votes.get(e.user_id)}
        for e in ballot.electors.select_related("user").order_by("user__full_name", "user__username", "pk")
    ]
    now = timezone.now()
    return {
        "ballot": ballot,
        "tally": tally,
        "still_needed": max(tally["needed"] - tally["approve"], 0),
        "roll": roll,
        "accepting": ballot.accepts_votes_at(now),
        "now": now,
    }


def _staff_may_record(request, ballot) -> bool:
    return viewer_for(request).is_staff_of(ballot.proposal.group.community_id)


def _voter_queryset(ballot):
    """Electors who have not voted yet (for community staff recording a paper vote)."""
    return User.objects.filter(
        pk__in=BallotElector.objects.filter(ballot=ballot).values("user")
    ).exclude(pk__in=Vote.objects.filter(ballot=ballot).values("voter")).order_by("full_name", "username")


def _vote_context(request, ballot, elector, *, form=None, confirming=False, voter=None) -> dict:
    staff = _staff_may_record(request, ballot)
    my_vote = Vote.objects.filter(ballot=ballot, voter=request.user).first() if elector else None
    if form is None:
        form = VoteForm(voter_queryset=_voter_queryset(ballot) if staff else None)
    community = ballot.proposal.group.community
    return {
        "ballot": ballot,
        "elector": elector,
        "is_staff": staff,
        "is_supervisor": viewer_for(request).is_supervisor_of(community.pk, community.subdistrict_id),
        "my_vote": my_vote,
        "staff_records": staff and ballot.accepts_votes_at(timezone.now()),
        "vote_form": form,
        "confirming": confirming,
        "confirm_choice": form.cleaned_data.get("choice") if confirming else None,
        "confirm_label": VoteChoice(form.cleaned_data["choice"]).label if confirming else None,
        "voter": voter,
        "vote_choices": VoteChoice.choices,
    }


def _page_context(request, ballot, elector) -> dict:
    proposal = ballot.proposal
    notice = None
    if ballot.resolution_id:
        notice = (
            Notice.objects.filter(resolution_id=ballot.resolution_id)
            .prefetch_related(
                Prefetch("objections", queryset=Objection.objects.select_related("resident", "answered_by"))
            )
            .order_by("-published_at")
            .first()
        )
    viewer = viewer_for(request)
    community = proposal.group.community
    context = {
        "proposal": proposal,
        "resolution": ballot.resolution,
        "resolution_rows": _resolution_rows(ballot.resolution) if ballot.resolution_id else [],
        "lines": list(proposal.lines.all()),
        "notice": notice,
        "opinions": list(proposal.opinions.select_related("supervisor").order_by("created_at")),
        "can_close": _may_close(viewer, ballot),
        "roadshow": selectors.roadshow_for(proposal) if ballot.kind == BallotKind.COMMUNITY else None,
        **tally_context(ballot),
        **_vote_context(request, ballot, elector),
    }
    context["close_now"] = close_allowed_now(ballot, context["tally"], context["now"])
    return context


def _may_close(viewer, ballot) -> bool:
    """Whose page offers "end the vote": community staff; for a group ballot, its group council."""
    proposal = ballot.proposal
    return ballot.is_open and (
        viewer.is_staff_of(proposal.group.community_id)
        or (ballot.kind == "group" and viewer.is_group_council_member(proposal.group_id))
    )


def close_allowed_now(ballot, tally, now) -> bool:
    """What ``services.ballot_close`` will accept from a person now (it checks again): the deadline
    has passed, everyone has voted, or the result can no longer change. Shown before the click."""
    return now >= ballot.closes_at or tally["remaining"] == 0 or tally["decided"]


@login_required
def my_ballots(request):
    """我的表决: ballots I am an elector of; for staff and supervisors, every ballot in their communities."""
    viewer = viewer_for(request)
    if not (viewer.seats or viewer.staff_community_ids or viewer.board_community_ids
            or viewer.board_subdistrict_ids or viewer.is_superuser):
        return forbidden(request, _("只有议事会成员、社区工作人员和监督人员参加或查看表决。"))
    user = request.user
    scope = Q(pk__in=BallotElector.objects.filter(user=user).values("ballot"))
    if viewer.is_superuser:
        scope = Q()
    else:
        scope |= Q(proposal__group__community_id__in=viewer.staff_community_ids | viewer.board_community_ids)
        scope |= Q(proposal__group__community__subdistrict_id__in=viewer.board_subdistrict_ids)
    mine = Ballot.objects.filter(scope)
    counts = mine.aggregate(open=Count("pk", filter=Q(closed_at__isnull=True)),
                            closed=Count("pk", filter=Q(closed_at__isnull=False)))
    # Open ballots first, then the closed ones newest first, BALLOTS_PER_PAGE a page; votes counted per row
    # shown (a subquery), not by grouping every ballot of the scope before the LIMIT.
    paginator = Paginator(
        mine.select_related("proposal__group__community", "council")
        .annotate(
            cast=Coalesce(Subquery(
                Vote.objects.filter(ballot=OuterRef("pk")).order_by()
                .annotate(n=Func(F("pk"), function="COUNT")).values("n")
            ), 0),
            my_choice=Subquery(Vote.objects.filter(ballot=OuterRef("pk"), voter=user).values("choice")[:1]),
            is_elector=Subquery(BallotElector.objects.filter(ballot=OuterRef("pk"), user=user).values("pk")[:1]),
        )
        .order_by(F("closed_at").desc(nulls_first=True), "closes_at", "-pk"),
        BALLOTS_PER_PAGE,
    )
    paginator.count = counts["open"] + counts["closed"]  # no second COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    ballots = list(page.object_list)
    labels = dict(VoteChoice.choices)
    for b in ballots:
        b.my_choice_label = labels.get(b.my_choice, "")
    now = timezone.now()
    return render(request, "proposals/my_ballots.html", {
        "page": page, "counts": counts,
        "open": [b for b in ballots if b.closed_at is None],
        "closed": [b for b in ballots if b.closed_at is not None],
        "now": now,
    })


@login_required
@_guarded
def ballot(request, pk):
    """The ballot page: everything needed to decide, the live tally, the roll-call, my vote."""
    ballot, elector = _ballot_for(request, pk)
    return render(request, PAGE, _page_context(request, ballot, elector))


@login_required
@require_GET
@_guarded
def ballot_tally(request, pk):
    """The tally fragment polled by htmx every 5 s while the ballot is open."""
    ballot, _elector = _ballot_for(request, pk)
    may_close = _may_close(viewer_for(request), ballot)
    if may_close:
        context = tally_context(ballot)
        response = render(request, f"{PAGE}#tally", context)
    else:
        # The fragment is the same for everyone who may see the ballot: cached under the ballot's
        # newest vote, its close and the minute ("还剩 …"), so a vote shows at the next poll.
        last_vote = ballot.votes.aggregate(last=Max("id"))["last"] or 0
        version = f"{last_vote}.{ballot.closed_at.timestamp() if ballot.closed_at else 0}.{minute()}"
        body = cached_fragment(
            f"tally:{translation.get_language()}:{ballot.pk}", version,
            lambda: render_to_string(f"{PAGE}#tally", tally_context(ballot), request),
        )
        response = HttpResponse(body)
    if may_close:
        # The close button follows the tally: enabled (out of band) once the result is settled.
        context.update(can_close=True, close_oob=True,
                       close_now=close_allowed_now(ballot, context["tally"], context["now"]))
        response.content += render_to_string(f"{PAGE}#close_panel", context, request=request).encode()
    return response


@login_required
@require_GET
@_guarded
def vote_confirm(request, pk):
    """Step 1: "您确定投赞成票吗？投出后不能更改" (no state change; the vote is the POST that follows)."""
    ballot, elector = _ballot_for(request, pk)
    staff = _staff_may_record(request, ballot)
    form = VoteForm(request.GET, voter_queryset=_voter_queryset(ballot) if staff else None)
    if not form.is_valid():
        context = {**_page_context(request, ballot, elector), **_vote_context(request, ballot, elector, form=form)}
        return render(request, template_for(request, PAGE, "vote_panel"), context)
    context = {
        **_page_context(request, ballot, elector),
        **_vote_context(request, ballot, elector, form=form, confirming=True,
                        voter=form.cleaned_data.get("voter")),
    }
    return render(request, template_for(request, PAGE, "vote_panel"), context)


@login_required
@require_POST
@_guarded
def vote(request, pk):
    """Step 2: the vote, final once cast (R7). Without ``confirm`` it only asks again."""
    ballot, elector = _ballot_for(request, pk)
    staff = _staff_may_record(request, ballot)
    form = VoteForm(request.POST, voter_queryset=_voter_queryset(ballot) if staff else None)
    if not form.is_valid() or not form.cleaned_data.get("confirm"):
        confirming = form.is_valid()
        context = {
            **_page_context(request, ballot, elector),
            **_vote_context(request, ballot, elector, form=form, confirming=confirming,
                            voter=form.cleaned_data.get("voter") if confirming else None),
        }
        return render(request, template_for(request, PAGE, "vote_panel"), context)
    voter = form.cleaned_data.get("voter")
    try:
        if voter is not None and voter.pk != request.user.pk:
            services.vote_cast(
                ballot=ballot, voter=voter, choice=form.cleaned_data["choice"], recorded_by=request.user,
                proxy_reason=form.cleaned_data["proxy_reason"], proxy_detail=form.cleaned_data["proxy_detail"],
            )
        else:
            services.vote_cast(ballot=ballot, voter=request.user, choice=form.cleaned_data["choice"])
    except DomainError as error:
        ballot.refresh_from_db()
        form.add_error(None, str(error))
        context = {**_page_context(request, ballot, elector), **_vote_context(request, ballot, elector, form=form)}
        return render(request, template_for(request, PAGE, "vote_panel"), context, status=error_status(request, error))
    ballot.refresh_from_db()
    recorded_for = voter if voter is not None and voter.pk != request.user.pk else None
    if request.htmx:
        context = {**_page_context(request, ballot, elector), "just_voted": True, "recorded_for": recorded_for}
        response = render(request, f"{PAGE}#vote_panel", context)
        # The live tally beside the panel counts this vote at once, not at its next poll.
        response["HX-Trigger"] = "ballot-voted"
        return response
    if recorded_for is not None:
        messages.success(request, _("已代 %(name)s 录入表决意见。") % {"name": recorded_for.display_name})
    else:
        messages.success(request, _("您的表决意见已记录，投出后不能更改。"))
    return redirect(reverse("proposals:ballot", args=[ballot.pk]))


@login_required
@require_POST
@_guarded
def ballot_close(request, pk):
    """Close early when the outcome can no longer change (staff; group council for group ballots)."""
    ballot, elector = _ballot_for(request, pk)
    try:
        services.ballot_close(ballot=ballot, actor=request.user)
    except DomainError as error:
        ballot.refresh_from_db()
        context = {**_page_context(request, ballot, elector), "close_error": str(error)}
        return render(request, PAGE, context, status=error_status(request, error))
    messages.success(request, _("表决已结束，结果已确定。"))
    return redirect(reverse("proposals:ballot", args=[ballot.pk]))
