"""Open tenders (R24): the list companies search, a tender's page, the residents' ballot, publishing.

Public: the list of tenders (/tenders/) and each tender's page. Before the
close the page shows the requirements and how many bids came in — never a
bidder or an amount (sealed), to anyone. After the close the bids are public
with the residents' votes beside them. Publishing: the group council (a
released proposal) or community staff (a service project). Bidding: admins of
an eligible organisation. Voting: the group's verified residents.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils import policies
from councils.models import User
from organisations.enums import MemberRole
from organisations.models import Organisation
from proposals.models import Proposal
from yishi.errors import PermissionDenied
from yishi.views import attempt

from .. import tenders as svc
from ..forms import TenderBidForm, TenderPublishForm, TenderSelectForm
from ..models import BidderVote, Tender, TenderBid
from .common import viewer
from .money import _panel_candidates

PER_PAGE = 20


def _tender_or_404(pk) -> Tender:
    return get_object_or_404(
        Tender.objects.select_related("community__subdistrict", "proposal__group", "project", "published_by"), pk=pk
    )


def _my_bidding_organisations(user):
    """Organisations ``user`` is an admin of (the bid form's choices; the service checks eligibility)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(members__user=user, members__role=MemberRole.ADMIN).order_by("name")


# --------------------------------------------------------------------------- list


def tender_list(request):
    """Every open tender across communities, closing soonest first; then those in their voting days."""
    now = timezone.now()
    show = request.GET.get("show") or "open"
    qs = Tender.objects.select_related("community__subdistrict").annotate(n_bids=Count("bids"))
    if show == "voting":
        qs = qs.filter(closes_at__lte=now).order_by("-closes_at", "-pk")
    else:
        show = "open"
        qs = qs.filter(closes_at__gt=now).order_by("closes_at", "pk")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "funding/tenders/list.html", {"page": page, "show": show, "now": now})


# --------------------------------------------------------------------------- one tender


def _detail_context(request, tender, *, bid_form=None, select_form=None):
    now = timezone.now()
    sealed = tender.is_sealed(now)
    user = request.user
    context = {
        "tender": tender,
        "now": now,
        "sealed": sealed,
        "voting_open": tender.voting_open(now),
        "votes_over": now >= tender.votes_close_at,
        "n_bids": tender.bids.count(),
    }
    mine = _my_bidding_organisations(user)
    if sealed:
        # Sealed: the page knows only how many bids there are, and whether one of the user's organisations bid.
        context["my_bid_placed"] = user.is_authenticated and tender.bids.filter(organisation__in=mine).exists()
        if user.is_authenticated and mine.exists():
            context["bid_form"] = bid_form or TenderBidForm(organisations=mine)
        return context
    counts = svc.vote_counts(tender)
    bids = list(tender.bids.select_related("organisation").order_by("amount", "submitted_at"))
    lowest = min((b.amount for b in bids), default=None)
    top = max(counts.values(), default=0)
    for b in bids:
        b.n_votes = counts.get(b.pk, 0)
        b.is_lowest = b.amount == lowest
        b.is_most_voted = top > 0 and b.n_votes == top
    context["bids"] = bids
    context["n_votes"] = sum(counts.values())
    context["selected"] = next((b for b in bids if b.selected_at), None)
    if user.is_authenticated:
        context["is_voter"] = svc.voters_of(tender).filter(user=user).exists()
        context["my_vote"] = BidderVote.objects.filter(tender=tender, resident=user).select_related(
            "bid__organisation").first()
        if context["votes_over"] and not context["selected"] and bids and _may_select(user, tender):
            context["select_form"] = select_form or _select_form(tender)
    return context


def _may_select(user, tender) -> bool:
    if tender.proposal_id:
        return policies.is_group_council_member(user, tender.proposal.group)
    return policies.is_community_staff(user, tender.community)


def _select_form(tender, data=None):
    candidates = _panel_candidates(tender.proposal) if tender.proposal_id else User.objects.none()
    return TenderSelectForm(
        data, bids=tender.bids.select_related("organisation").order_by("amount"), panel_candidates=candidates
    )


def tender_detail(request, pk):
    tender = _tender_or_404(pk)
    return render(request, "funding/tenders/detail.html", _detail_context(request, tender))


@login_required
@require_POST
def tender_bid(request, pk):
    tender = _tender_or_404(pk)
    mine = _my_bidding_organisations(request.user)
    if not mine.exists():
        raise PermissionDenied(_("只有组织或企业的负责人可以投标。请先请社区工作人员登记您的组织。"))
    form = TenderBidForm(request.POST, organisations=mine)
    if form.is_valid():
        d = form.cleaned_data
        if attempt(request, lambda: svc.tender_bid(
                tender=tender, organisation=d["organisation"], actor=request.user, amount=d["amount"],
                plan=d["plan"], qualifications=d["qualifications"]),
                success=_("已投标。报价在截止前保密，截止后公开。"), form=form):
            return redirect("funding:tender", pk=tender.pk)
    return render(request, "funding/tenders/detail.html", _detail_context(request, tender, bid_form=form),
                  status=400)


@login_required
@require_POST
def tender_select(request, pk):
    tender = _tender_or_404(pk)
    if not _may_select(request.user, tender):
        raise PermissionDenied(
            _("只有小组议事会成员可以确定中标方。") if tender.proposal_id else _("只有社区工作人员可以确定中标方。"))
    form = _select_form(tender, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        if attempt(request, lambda: svc.tender_select(
                tender=tender, bid=d["bid"], actor=request.user, panel=list(d["panel"]), reason=d["reason"]),
                success=_("已确定中标方。"), form=form):
            return redirect("funding:tender", pk=tender.pk)
    return render(request, "funding/tenders/detail.html", _detail_context(request, tender, select_form=form),
                  status=400)


# --------------------------------------------------------------------------- the residents' ballot


def _ballot_access(request, tender):
    """The ballot is for the residents who may vote; others see why (403), outsiders of the community 404."""
    if svc.voters_of(tender).filter(user=request.user).exists():
        return
    v = viewer(request)
    if v.touches_community(tender.community_id, tender.community.subdistrict_id):
        where = tender.proposal.group.name if tender.proposal_id else tender.community.name
        raise PermissionDenied(_("只有%(where)s的核实居民可以为投标方投票。") % {"where": where})
    raise Http404


@login_required
def tender_ballot(request, pk):
    tender = _tender_or_404(pk)
    _ballot_access(request, tender)
    context = _detail_context(request, tender)
    confirm = None
    raw = request.GET.get("bid") or ""
    if raw.isdigit() and context["voting_open"] and not context.get("my_vote"):
        confirm = next((b for b in context.get("bids", []) if b.pk == int(raw)), None)
    context["confirm"] = confirm
    return render(request, "funding/tenders/ballot.html", context)


@login_required
@require_POST
def tender_vote(request, pk):
    tender = _tender_or_404(pk)
    _ballot_access(request, tender)
    raw = request.POST.get("bid") or ""
    bid = TenderBid.objects.filter(tender=tender, pk=int(raw)).first() if raw.isdigit() else None
    if bid is None:
        messages.error(request, _("请选择一个投标方。"))
    else:
        attempt(request, lambda: svc.bidder_vote(tender=tender, resident=request.user, bid=bid),
                success=_("已投票，谢谢。每人一票，投出后不能更改。"))
    return redirect("funding:tender_ballot", pk=tender.pk)


# --------------------------------------------------------------------------- publishing


def _publish_target(request, kind, pk):
    """(proposal, project) named in the URL; 404 when missing, 403/404 by scope."""
    from needs.models import ServiceProject

    v = viewer(request)
    if kind == "proposal":
        proposal = get_object_or_404(Proposal.objects.select_related("group__community"), pk=pk)
        community = proposal.group.community
        if not policies.is_group_council_member(request.user, proposal.group):
            if v.touches_community(community.pk, community.subdistrict_id):
                raise PermissionDenied(_("只有%(g)s议事会成员可以为这个议案发布招标。") % {"g": proposal.group.name})
            raise Http404
        return proposal, None
    if kind == "project":
        project = get_object_or_404(ServiceProject.objects.select_related("community"), pk=pk)
        community = project.community
        if not policies.is_community_staff(request.user, community):
            if v.touches_community(community.pk, community.subdistrict_id):
                raise PermissionDenied(_("只有%(c)s的工作人员可以为服务项目发布招标。") % {"c": community.name})
            raise Http404
        return None, project
    raise Http404


@login_required
def tender_publish(request, kind, pk):
    proposal, project = _publish_target(request, kind, pk)
    existing = Tender.objects.filter(proposal=proposal, project=project).first()
    if existing is not None:
        return redirect("funding:tender", pk=existing.pk)
    form = TenderPublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        made = {}

        def call():
            made["tender"] = svc.tender_publish(
                actor=request.user, closes_at=d["closes_at"], voting_days=d["voting_days"],
                requirements=d["requirements"], proposal=proposal, project=project)

        if attempt(request, call, success=_("招标已发布，符合条件的组织和企业会收到通知。"), form=form):
            return redirect("funding:tender", pk=made["tender"].pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "funding/tenders/publish.html",
                  {"form": form, "proposal": proposal, "project": project, "kind": kind, "target": pk}, status=status)


def tender_for(proposal) -> Tender | None:
    """For the proposal's money page: its tender, if any."""
    return Tender.objects.filter(proposal=proposal).first()

