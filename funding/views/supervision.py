"""Supervisors' pages (R11): everything in scope, opinions, holds, the history-chain check.

Supervisors of a community's board, or of its subdistrict's board (街道纪工委),
read every proposal of the community with named votes, objections, contributions
and ledger entries; they record opinions and place or lift holds through
``proposals.services``. They never vote.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, F, Func, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from proposals import services as proposal_services
from proposals.enums import ProposalStatus
from proposals.models import Ballot, BallotElector, Hold, Objection, Opinion, Proposal, Vote
from proposals.history import event_payload
from yishi.chain import verify_chain
from yishi.views import attempt

from .. import checkpoints
from ..forms import HoldLiftForm, HoldPlaceForm, OpinionForm, SupervisionFilterForm
from ..models import Fund, HistoryCheckpoint, HistoryFinding, HistoryRun, LedgerEntry
from .common import refuse, supervised_communities, viewer

PER_PAGE = 50
FINDINGS_ON_DETAIL = 20


# --------------------------------------------------------------------------- list


def _count(queryset):
    """COUNT(*) of ``queryset`` (correlated through OuterRef) as a subquery, 0 when empty."""
    return Coalesce(Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")), 0)


def _supervision_rows(communities, form):
    proposals = (
        Proposal.objects.filter(group__community__in=communities)
        .select_related("group__community")
        # Counted per row by subqueries, not COUNT(DISTINCT) over joins: the joins made PostgreSQL
        # group every proposal of the subdistrict before the page's LIMIT (0.4 s at one subdistrict);
        # these run for the rows shown only, and the paginator's COUNT(*) leaves them out.
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
    context = {"form": form, "page": page, "communities": communities, "checkpoint": latest_checkpoint}
    template = "funding/supervision.html#results" if request.htmx else "funding/supervision.html"
    return render(request, template, context)


# --------------------------------------------------------------------------- history-chain check


def latest_checkpoint():
    """The last signed checkpoint, without its (large) heads."""
    return HistoryCheckpoint.objects.defer("heads").order_by("-number").first()


@login_required
def history_check(request):
    """The last full verification of the history (R14), its findings in scope, and a button to run it again.

    A full run re-hashes every event and ledger entry (seconds at city size), so
    it runs in the background (daily, or queued here); this page only reads its
    result: a constant number of queries, the findings paginated.
    """
    communities = supervised_communities(request)
    run = (
        HistoryRun.objects.filter(finished_at__isnull=False, ok__isnull=False).select_related("requested_by")
        .order_by("-finished_at", "-pk").first()
    )
    findings = HistoryFinding.objects.none()
    if run is not None:
        findings = HistoryFinding.objects.filter(run=run).filter(
            Q(community_id__in=[c.pk for c in communities]) | Q(community_id__isnull=True)
        ).order_by("pk")
    page = Paginator(findings, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "funding/history_check.html", {
        "run": run, "page": page, "checkpoint": latest_checkpoint(),
        "pending": HistoryRun.objects.filter(pending=True).select_related("requested_by").first(),
    })


@login_required
@require_POST
def history_run_request(request):
    """Queue a full verification of the history (at most one waits or runs at a time)."""
    supervised_communities(request)
    attempt(request, lambda: checkpoints.history_run_queue(actor=request.user),
            success=_("已开始核验全部历史记录，完成后刷新本页查看结果。"))
    return redirect("funding:history_check")


# --------------------------------------------------------------------------- published checkpoints


def checkpoint_list(request):
    """Public: every signed checkpoint, newest first, for anyone to keep a copy (R14)."""
    rows = HistoryCheckpoint.objects.defer("heads").order_by("-number")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "funding/checkpoints.html", {"page": page})


def checkpoint_list_json(request):
    """The same as JSON: ``{"count", "page", "pages", "next", "results": [...]}``."""
    rows = HistoryCheckpoint.objects.defer("heads").order_by("-number")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return JsonResponse({
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next": (request.build_absolute_uri(f"?page={page.next_page_number()}") if page.has_next() else None),
        "results": [
            {
                "number": c.number, "created_at": c.created_at.isoformat(), "heads_sha256": c.heads_sha256,
                "key_id": c.key_id, "restarted": c.restarted, "signed_text": c.signed_text,
            }
            for c in page.object_list
        ],
    }, json_dumps_params={"ensure_ascii": False})


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
    # The proposal's own chain is re-hashed here (its events are on the page anyway); the funds'
    # ledgers, thousands of entries, only through the last background run's findings.
    checked, bad, why = verify_chain(events, event_payload, noun="event")
    report = [{
        "name": "proposal_events", "chains": 1, "links": checked, "supported": True,
        "broken": {"seq": bad.seq, "why": why, "pk": bad.pk, "label": proposal.title} if bad is not None else None,
    }]
    run = HistoryRun.objects.filter(finished_at__isnull=False, ok__isnull=False).order_by("-finished_at", "-pk").first()
    run_findings = []
    if run is not None:
        run_findings = list(
            HistoryFinding.objects.filter(run=run)
            .filter(Q(proposal_id=proposal.pk) | Q(fund_id__in=list(funds)))
            .order_by("pk")[:FINDINGS_ON_DETAIL]
        )
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
        "run": run,
        "run_findings": run_findings,
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
