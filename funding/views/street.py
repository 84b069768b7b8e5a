"""Street-office pages: the budget-review queue (R8), release (R10), funds and their ledgers (R15).

Street-office staff of a subdistrict keep the money of its communities;
supervisors in scope read the funds and ledgers too. Each mutation is one call
into ``funding.services``; a refusal is shown next to the proposal it concerns.
"""

from functools import partial

from django.contrib import messages
from django_htmx.http import HttpResponseClientRedirect
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from proposals.enums import ProposalStatus
from proposals.models import Hold, Proposal
from yishi.errors import DomainError, PermissionDenied
from yishi.views import attempt

from .. import selectors, services
from ..enums import FundKind, ReviewDecision
from ..forms import BudgetApproveForm, BudgetReturnForm, FundCreateForm, FundInflowForm, LedgerCorrectForm
from ..models import ZERO, BudgetReview, Contribution, Fund, LedgerEntry
from .common import is_street_staff, reader_communities, refuse, street_communities, street_q, viewer

LEDGER_PER_PAGE = 100
# Both lists of the review queue are paginated, QUEUE_PER_PAGE cards each (two forms per card): a
# subdistrict can have hundreds waiting, and rendering them all made the page 2.5 MB and seconds slow.
QUEUE_PER_PAGE = 20
MONEY_OUT = DecimalField(max_digits=14, decimal_places=2)


def funds_with_sums(queryset):
    """Funds annotated with balance, reserved and available, in the same query (R15)."""
    balance = Subquery(
        LedgerEntry.objects.filter(fund=OuterRef("pk")).values("fund").annotate(s=Sum("balance_delta")).values("s"),
        output_field=MONEY_OUT,
    )
    reserved = Subquery(
        LedgerEntry.objects.filter(fund=OuterRef("pk")).values("fund").annotate(s=Sum("reserved_delta")).values("s"),
        output_field=MONEY_OUT,
    )
    return queryset.annotate(
        balance=Coalesce(balance, Value(ZERO), output_field=MONEY_OUT),
        reserved=Coalesce(reserved, Value(ZERO), output_field=MONEY_OUT),
    )


def _collected_subquery():
    return Coalesce(
        Subquery(
            Contribution.objects.filter(proposal=OuterRef("pk"), reversed_at__isnull=True)
            .values("proposal").annotate(s=Sum("amount")).values("s"),
            output_field=MONEY_OUT,
        ),
        Value(ZERO), output_field=MONEY_OUT,
    )


def _approved_review_field(field):
    return Subquery(
        BudgetReview.objects.filter(proposal=OuterRef("pk"), decision=ReviewDecision.APPROVED).values(field)[:1],
        output_field=MONEY_OUT,
    )


# --------------------------------------------------------------------------- review queue


def _queue_context(request, communities, *, errors=None):
    """The budget-review queue and the funded proposals waiting for release.

    ``errors``: {proposal pk: {"approve": form, "return": form, "release": [sentences]}}
    after a refusal, so the message sits next to the proposal it concerns.
    """
    errors = errors or {}
    year = selectors.current_year()
    funds = {
        f.community_id: f
        for f in funds_with_sums(
            Fund.objects.filter(community__in=communities, year=year, kind=FundKind.PUBLIC_SERVICE)
        )
    }
    pending_page = Paginator(
        Proposal.objects.filter(group__community__in=communities, status=ProposalStatus.APPROVED)
        .select_related("group__community")
        .order_by("updated_at", "pk"),
        QUEUE_PER_PAGE,
    ).get_page(request.GET.get("pending"))
    pending = list(pending_page.object_list)
    for p in pending:
        p.fund = funds.get(p.group.community_id)
        p.available = (p.fund.balance - p.fund.reserved) if p.fund else None
        p.short = p.fund is not None and p.available < p.community_share
        p.on_negative_list = p.fund is not None and p.category in (p.fund.negative_list or [])
        err = errors.get(p.pk, {})
        p.approve_form = err.get("approve") or BudgetApproveForm(
            requested=p.community_share, auto_id=f"id_a{p.pk}_%s"
        )
        p.return_form = err.get("return") or BudgetReturnForm(auto_id=f"id_r{p.pk}_%s")
    funded_page = Paginator(
        Proposal.objects.filter(group__community__in=communities, status=ProposalStatus.FUNDED)
        .select_related("group__community")
        .annotate(
            approved_share=_approved_review_field("approved_share"),
            approved_total=_approved_review_field("total"),
            collected=_collected_subquery(),
            has_hold=Exists(Hold.objects.filter(proposal=OuterRef("pk"), lifted_at__isnull=True)),
        )
        .order_by("updated_at", "pk"),
        QUEUE_PER_PAGE,
    ).get_page(request.GET.get("funded"))
    funded = list(funded_page.object_list)
    for p in funded:
        p.target = (p.approved_total - p.approved_share) if p.approved_total is not None else p.self_raised_share
        p.still_to_raise = max(p.target - p.collected, ZERO)
        p.release_errors = errors.get(p.pk, {}).get("release")
    return {"pending": pending, "funded": funded, "pending_page": pending_page, "funded_page": funded_page,
            "year": year, "communities": communities}


@login_required
def review_queue(request):
    communities = street_communities(request)
    return render(request, "funding/review_queue.html", _queue_context(request, communities))


def _street_proposal(request, pk, statuses=None) -> Proposal:
    """A proposal of the user's subdistrict; 403 with reason / 404 otherwise."""
    proposal = get_object_or_404(Proposal.objects.select_related("group__community__subdistrict"), pk=pk)
    community = proposal.group.community
    if not viewer(request).is_street_staff_of(community.subdistrict_id):
        refuse(request, community, _("只有本街道的街道办工作人员可以审核预算和拨付资金。"))
    return proposal


def _queue_response(request, proposal, errors):
    """After a refusal: the queue again, with the message next to the proposal (htmx: just its card)."""
    communities = street_communities(request)
    context = _queue_context(request, communities, errors={proposal.pk: errors})
    if request.htmx:
        for section, rows in (("pending_item", context["pending"]), ("funded_item", context["funded"])):
            for p in rows:
                if p.pk == proposal.pk:
                    return render(request, f"funding/review_queue.html#{section}", {**context, "p": p})
    return render(request, "funding/review_queue.html", context)


def _done(request, message):
    messages.success(request, message)
    if request.htmx:
        # The card leaves the list it was in; reload the queue so both lists agree.
        return HttpResponseClientRedirect(reverse("funding:review_queue"))
    return redirect("funding:review_queue")


@login_required
@require_POST
def budget_approve(request, pk):
    proposal = _street_proposal(request, pk)
    form = BudgetApproveForm(request.POST, requested=proposal.community_share, auto_id=f"id_a{proposal.pk}_%s")
    if form.is_valid():
        try:
            services.budget_approve(
                proposal=proposal, reviewer=request.user, community_share=form.cleaned_data["community_share"]
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, _("已核准预算：%(title)s") % {"title": proposal.title})
    return _queue_response(request, proposal, {"approve": form})


@login_required
@require_POST
def budget_return(request, pk):
    proposal = _street_proposal(request, pk)
    form = BudgetReturnForm(request.POST, auto_id=f"id_r{proposal.pk}_%s")
    if form.is_valid():
        try:
            services.budget_return(proposal=proposal, reviewer=request.user, reason=form.cleaned_data["reason"])
        except PermissionDenied:
            raise
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, _("已退回：%(title)s") % {"title": proposal.title})
    return _queue_response(request, proposal, {"return": form})


@login_required
@require_POST
def release(request, pk):
    """R10: release the community share; when it cannot go, list every unmet condition."""
    proposal = _street_proposal(request, pk)
    try:
        services.funds_release(proposal=proposal, actor=request.user)
    except PermissionDenied:
        raise
    except DomainError as exc:
        proposal.refresh_from_db()
        reasons = selectors.release_blockers(proposal) or [str(exc)]
        if request.POST.get("next") == "money":
            from .money import money_page_response

            return money_page_response(request, proposal, release_errors=reasons)
        return _queue_response(request, proposal, {"release": reasons})
    message = _("已拨付公服资金：%(title)s") % {"title": proposal.title}
    if request.POST.get("next") == "money":
        messages.success(request, message)
        return redirect("funding:proposal_money", pk=proposal.pk)
    return _done(request, message)


# --------------------------------------------------------------------------- funds


def _funds_context(request, communities, *, create_form=None):
    rows = list(
        funds_with_sums(Fund.objects.filter(community__in=communities))
        .select_related("community__subdistrict")
        .order_by("community__name", "-year", "kind")
    )
    for fund in rows:
        fund.available = fund.balance - fund.reserved
    totals = {
        "balance": sum((f.balance for f in rows), ZERO),
        "reserved": sum((f.reserved for f in rows), ZERO),
        "available": sum((f.available for f in rows), ZERO),
    }
    v = viewer(request)
    street_scope = communities.filter(street_q(v)) if is_street_staff(v) else None
    return {
        "funds": rows, "totals": totals, "communities": communities,
        "create_form": (create_form or FundCreateForm(communities=street_scope)) if street_scope is not None else None,
    }


@login_required
def funds(request):
    """Every fund the user may read, with balance, reserved and available."""
    communities = reader_communities(request)
    return render(request, "funding/funds.html", _funds_context(request, communities))


@login_required
@require_POST
def fund_create(request):
    """Street-office staff open a community's fund for a year."""
    communities = street_communities(request)
    form = FundCreateForm(request.POST, communities=communities)
    if form.is_valid():
        data = form.cleaned_data
        try:
            fund = services.fund_create(
                community=data["community"], year=data["year"], actor=request.user, kind=data["kind"],
                share_cap_percent=data["share_cap_percent"],
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已设立 %(fund)s。请拨入资金。") % {"fund": fund})
            return redirect("funding:fund_detail", pk=fund.pk)
    return render(request, "funding/funds.html", _funds_context(request, reader_communities(request), create_form=form))


def fund_in_scope(request, pk) -> Fund:
    fund = get_object_or_404(Fund.objects.select_related("community__subdistrict"), pk=pk)
    v = viewer(request)
    community = fund.community
    allowed = (
        v.is_superuser
        or v.is_street_staff_of(community.subdistrict_id)
        or v.is_supervisor_of(community.pk, community.subdistrict_id)
    )
    if not allowed:
        refuse(request, community, _("资金台账只对本街道的街道办工作人员和监督人员开放。"))
    return fund


def _fund_detail_context(request, fund, *, inflow_form=None, correct_form=None):
    totals = selectors.fund_totals(fund)
    page = Paginator(
        LedgerEntry.objects.filter(fund=fund).select_related("proposal", "actor", "corrects").order_by("seq"),
        LEDGER_PER_PAGE,
    ).get_page(request.GET.get("page"))
    # The running balance of each row on this page: the sum of the rows before it plus the row.
    first_seq = page.object_list[0].seq if page.object_list else 0
    before = LedgerEntry.objects.filter(fund=fund, seq__lt=first_seq).aggregate(
        b=Sum("balance_delta"), r=Sum("reserved_delta")
    )
    balance, reserved = before["b"] or ZERO, before["r"] or ZERO
    rows = []
    for entry in page.object_list:
        balance += entry.balance_delta
        reserved += entry.reserved_delta
        rows.append((entry, balance, reserved, balance - reserved))
    keeper = viewer(request).is_street_staff_of(fund.community.subdistrict_id)
    return {
        "fund": fund, "totals": totals, "page": page, "rows": rows,
        "negative_list": fund.negative_list_labels(),
        "is_street_staff": keeper,
        "inflow_form": (inflow_form or FundInflowForm()) if keeper else None,
        "correct_form": (correct_form or LedgerCorrectForm()) if keeper else None,
    }


@login_required
def fund_detail(request, pk):
    fund = fund_in_scope(request, pk)
    return render(request, "funding/fund_detail.html", _fund_detail_context(request, fund))


def _fund_keeper(request, pk) -> Fund:
    fund = fund_in_scope(request, pk)
    if not viewer(request).is_street_staff_of(fund.community.subdistrict_id):
        raise PermissionDenied(_("只有本街道的街道办工作人员可以登记资金。"))
    return fund


@login_required
@require_POST
def fund_inflow(request, pk):
    """Money into the fund: an allocation or a donation, as one ledger entry (R15)."""
    fund = _fund_keeper(request, pk)
    form = FundInflowForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"] == "donation":
            call = partial(services.fund_donate, donor=data["source"])
        else:
            call = partial(services.fund_allocate, source=data["source"])
        if attempt(request, partial(call, fund=fund, actor=request.user, amount=data["amount"], memo=data["memo"]),
                   success=_("已登记。"), form=form):
            return redirect("funding:fund_detail", pk=fund.pk)
    return render(request, "funding/fund_detail.html", _fund_detail_context(request, fund, inflow_form=form))


@login_required
@require_POST
def fund_correct(request, pk):
    """A correction as a new entry (R14: nothing is edited); refused if it would spend reserved money."""
    fund = _fund_keeper(request, pk)
    form = LedgerCorrectForm(request.POST)
    if form.is_valid():
        if attempt(request, partial(services.ledger_correct, fund=fund, actor=request.user,
                                    amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"]),
                   success=_("已登记更正。"), form=form):
            return redirect("funding:fund_detail", pk=fund.pk)
    return render(request, "funding/fund_detail.html", _fund_detail_context(request, fund, correct_form=form))
