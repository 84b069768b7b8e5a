"""Supervisors' pages (R11): everything in scope, opinions, holds, the history-chain check.

Supervisors of a community's board, or of its subdistrict's board (街道纪工委),
read every proposal of the community with named votes, objections, contributions
and ledger entries; they record opinions and place or lift holds through
``proposals.services``. They never vote.
"""

import inspect

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, Func, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from proposals import services as proposal_services
from proposals.enums import ProposalStatus
from proposals.models import Ballot, BallotElector, Hold, Objection, Opinion, Proposal, Vote
from yishi.chain import CHAINS
from yishi.views import attempt

from ..forms import HoldLiftForm, HoldPlaceForm, OpinionForm, SupervisionFilterForm
from ..models import Fund, LedgerEntry
from .common import refuse, supervised_communities, viewer

PER_PAGE = 50


# --------------------------------------------------------------------------- list


def _count(queryset):
    """COUNT(*) of ``queryset`` (correlated through OuterRef) as a subquery, 0 when empty."""
    return Coalesce(Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")), 0)


def _supervision_rows(communities, form):
    proposals = (
        Proposal.objects.filter(group__community__in=communities)
        .select_related("group__community")
        # Counted per row by correlated subqueries, not COUNT(DISTINCT) over joins: the joins made
        # PostgreSQL group every proposal of the subdistrict before the page's LIMIT 20 (0.6 s at one
        # subdistrict, scripts/bench.sh); these run for the 20 rows shown, and the paginator's COUNT drops them.
        .annotate(
            open_holds=_count(Hold.objects.filter(proposal=OuterRef("pk"), lifted_at__isnull=True)),
            objections_open=_count(
                Objection.objects.filter(notice__proposal=OuterRef("pk"), answered_at__isnull=True)
            ),
            opinion_count=_count(Opinion.objects.filter(proposal=OuterRef("pk"))),
        )
        .order_by("-updated_at", "-pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data.get("community"):
            proposals = proposals.filter(group__community=data["community"])
        if data.get("status"):
            proposals = proposals.filter(status=data["status"])
        if data.get("hold") == "open":
            proposals = proposals.filter(Exists(Hold.objects.filter(proposal=OuterRef("pk"), lifted_at__isnull=True)))
        elif data.get("hold") == "none":
            proposals = proposals.exclude(Exists(Hold.objects.filter(proposal=OuterRef("pk"), lifted_at__isnull=True)))
        if data.get("q"):
            proposals = proposals.filter(title__icontains=data["q"])
    return proposals


@login_required
def supervision(request):
    """Every proposal in the supervisor's scope, filterable by community, status and open hold."""
    communities = supervised_communities(request)
    raw = request.GET.get("community") or ""
    if raw and not (raw.isdigit() and communities.filter(pk=int(raw)).exists()):
        raise Http404
    form = SupervisionFilterForm(request.GET or None, communities=communities)
    rows = _supervision_rows(communities, form)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "communities": communities}
    template = "funding/supervision.html#results" if request.htmx else "funding/supervision.html"
    return render(request, template, context)


# --------------------------------------------------------------------------- history-chain check


def chain_report(*, proposals, funds) -> list[dict]:
    """Run every registered chain verifier (yishi.chain.CHAINS) over the given scope.

    A verifier is called with ``proposals=`` or ``funds=`` (whichever it takes),
    so supervisors see only chains in their scope. Returns one row per
    verifier: how many chains and links were checked, and the first broken link.
    """
    scopes = {"proposals": list(proposals), "funds": list(funds)}
    report = []
    for name, verifier in sorted(CHAINS.items()):
        params = inspect.signature(verifier).parameters
        kwarg = next((k for k in scopes if k in params), None)
        row = {"name": name, "chains": 0, "links": 0, "broken": None, "supported": kwarg is not None}
        if kwarg is None:
            report.append(row)
            continue
        for chain_id, checked, bad, why in verifier(**{kwarg: scopes[kwarg]}):
            row["chains"] += 1
            row["links"] += checked
            if bad is not None and row["broken"] is None:
                row["broken"] = {
                    "chain_id": chain_id, "kind": kwarg, "seq": getattr(bad, "seq", None), "why": why,
                    "pk": bad.pk,
                }
        report.append(row)
    return report


def _label_broken(report, proposals, funds):
    titles = {p.pk: p.title for p in proposals}
    fund_names = {f.pk: str(f) for f in funds}
    for row in report:
        broken = row["broken"]
        if broken:
            names = titles if broken["kind"] == "proposals" else fund_names
            broken["label"] = names.get(broken["chain_id"], broken["chain_id"])
    return report


@login_required
def history_check(request):
    """Recompute the hash chains of every proposal and fund in scope (R14)."""
    communities = supervised_communities(request)
    proposals = list(Proposal.objects.filter(group__community__in=communities).only("pk", "title"))
    funds = list(Fund.objects.filter(community__in=communities).select_related("community"))
    report = _label_broken(chain_report(proposals=proposals, funds=funds), proposals, funds)
    return render(request, "funding/history_check.html", {
        "report": report, "all_ok": all(r["broken"] is None for r in report if r["supported"]),
        "proposal_count": len(proposals), "fund_count": len(funds),
    })


# --------------------------------------------------------------------------- one proposal


def _supervised_proposal(request, pk) -> Proposal:
    proposal = get_object_or_404(Proposal.objects.select_related("group__community__subdistrict", "author"), pk=pk)
    community = proposal.group.community
    v = viewer(request)
    if not (v.is_superuser or v.is_supervisor_of(community.pk, community.subdistrict_id)):
        refuse(request, community, _("只有本社区或本街道的监督人员可以打开监督页面。"))
    return proposal


def _detail_context(request, proposal, *, opinion_form=None, hold_form=None, lift_forms=None):
    ballots = list(
        Ballot.objects.filter(proposal=proposal)
        .select_related("council", "opened_by", "closed_by")
        .prefetch_related(
            Prefetch("electors", queryset=BallotElector.objects.select_related("user").order_by(
                "user__full_name", "user__username")),
            Prefetch("votes", queryset=Vote.objects.select_related("voter", "recorded_by")),
        )
        .order_by("opened_at")
    )
    for ballot in ballots:
        votes = {vote.voter_id: vote for vote in ballot.votes.all()}
        ballot.roll = [(e.user, votes.get(e.user_id)) for e in ballot.electors.all()]
        ballot.tally = proposal_services.ballot_tally(ballot) if ballot.closed_at is None else None
    objections = list(
        Objection.objects.filter(notice__proposal=proposal)
        .select_related("resident", "answered_by", "recorded_by", "notice")
        .order_by("filed_at")
    )
    holds = list(proposal.holds.select_related("placed_by", "lifted_by").order_by("-placed_at"))
    lift_forms = lift_forms or {}
    for hold in holds:
        if hold.is_open:
            hold.lift_form = lift_forms.get(hold.pk) or HoldLiftForm(auto_id=f"id_lift{hold.pk}_%s")
    entries = list(
        LedgerEntry.objects.filter(proposal=proposal)
        .select_related("fund__community", "actor")
        .order_by("created_at", "pk")
    )
    funds = {e.fund_id: e.fund for e in entries}
    events = list(proposal.events.select_related("actor", "on_behalf_of").order_by("seq"))
    report = chain_report(proposals=[proposal], funds=list(funds.values()))
    _label_broken(report, [proposal], list(funds.values()))
    return {
        "proposal": proposal,
        "community": proposal.group.community,
        "ballots": ballots,
        "objections": objections,
        "holds": holds,
        "open_hold_count": sum(1 for h in holds if h.is_open),
        "opinions": list(proposal.opinions.select_related("supervisor").order_by("created_at")),
        "entries": entries,
        "contributions": list(proposal.contributions.select_related("recorded_by", "reversed_by")),
        "bids": list(proposal.bids.select_related("selected_by", "recorded_by").prefetch_related("panel")),
        "acceptances": list(proposal.acceptances.select_related("recorded_by", "supervisor")),
        "events": events,
        "report": report,
        "opinion_form": opinion_form or OpinionForm(),
        "hold_form": hold_form or HoldPlaceForm(),
        "terminal": proposal.status in (ProposalStatus.SETTLED, ProposalStatus.WITHDRAWN, ProposalStatus.REJECTED),
    }


@login_required
def supervision_detail(request, pk):
    proposal = _supervised_proposal(request, pk)
    return render(request, "funding/supervision_detail.html", _detail_context(request, proposal))


def _detail_url(proposal, anchor=""):
    return reverse("funding:supervision_detail", args=[proposal.pk]) + (f"#{anchor}" if anchor else "")


@login_required
@require_POST
def opinion_add(request, pk):
    proposal = _supervised_proposal(request, pk)
    form = OpinionForm(request.POST)
    if form.is_valid():
        text = form.cleaned_data["text"]
        if attempt(request, lambda: proposal_services.opinion_record(proposal=proposal, supervisor=request.user,
                                                                     text=text),
                   success=_("监督意见已记录。"), form=form):
            return redirect(_detail_url(proposal, "opinions"))
    return render(request, "funding/supervision_detail.html", _detail_context(request, proposal, opinion_form=form))


@login_required
@require_POST
def hold_add(request, pk):
    proposal = _supervised_proposal(request, pk)
    form = HoldPlaceForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        if attempt(request, lambda: proposal_services.hold_place(proposal=proposal, supervisor=request.user,
                                                                 reason=reason),
                   success=_("已暂停拨付。解除之前不能拨付资金，也不能决算。"), form=form):
            return redirect(_detail_url(proposal, "holds"))
    return render(request, "funding/supervision_detail.html", _detail_context(request, proposal, hold_form=form))


@login_required
@require_POST
def hold_lift(request, pk, hold_pk):
    proposal = _supervised_proposal(request, pk)
    hold = get_object_or_404(Hold, pk=hold_pk, proposal=proposal)
    form = HoldLiftForm(request.POST, auto_id=f"id_lift{hold.pk}_%s")
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        if attempt(request, lambda: proposal_services.hold_lift(hold=hold, actor=request.user, reason=reason),
                   success=_("暂停已解除。"), form=form):
            return redirect(_detail_url(proposal, "holds"))
    context = _detail_context(request, proposal, lift_forms={hold.pk: form})
    return render(request, "funding/supervision_detail.html", context)
