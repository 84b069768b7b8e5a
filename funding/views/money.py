"""The money page of one proposal (/proposals/<pk>/money/): the group council's book.

Group-council members record contributions (and reversals), bids, the chosen
bid with its panel, acceptance and settlement; street-office staff release the
money and may enter the settlement; community staff record refunds paid back.
Staff and supervisors in scope read it. Payers are named here (a private page)
and never on the public proposal page.
"""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils.models import User
from proposals.enums import ProposalStatus
from proposals.models import Proposal
from yishi.errors import PermissionDenied
from yishi.views import attempt

from .. import selectors, services
from ..forms import (
    AcceptanceForm,
    BidForm,
    BidSelectForm,
    ContributionForm,
    ReversalForm,
    SettlementForm,
)
from ..models import Bid, Contribution, Refund
from .common import refuse, viewer

S = ProposalStatus


def _roles(request, proposal) -> dict:
    v = viewer(request)
    group = proposal.group
    community = group.community
    return {
        "group_member": v.is_group_council_member(group.pk),
        "community_staff": v.is_staff_of(community.pk),
        "street_staff": v.is_street_staff_of(community.subdistrict_id),
        "supervisor": v.is_supervisor_of(community.pk, community.subdistrict_id),
    }


def _proposal_for_money(request, pk) -> tuple[Proposal, dict]:
    proposal = get_object_or_404(Proposal.objects.select_related("group__community__subdistrict"), pk=pk)
    roles = _roles(request, proposal)
    if not any(roles.values()):
        refuse(request, proposal.group.community,
               _("项目资金页面只对小组议事会成员、社区和街道工作人员以及监督人员开放。"))
    return proposal, roles


def _require(request, proposal, allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _panel_candidates(proposal):
    """Who may sit on the procurement panel: group-council members, community staff, supervisors in scope."""
    now = timezone.now()
    community = proposal.group.community

    def cur(prefix):
        return Q(**{f"{prefix}__starts_at__lte": now}) & (
            Q(**{f"{prefix}__ends_at__isnull": True}) | Q(**{f"{prefix}__ends_at__gt": now})
        )

    return (
        User.objects.filter(
            (cur("seats") & Q(seats__council__group=proposal.group))
            | (cur("board_seats") & (Q(board_seats__board__community=community)
                                     | Q(board_seats__board__subdistrict_id=community.subdistrict_id)))
            | (cur("staff_posts") & Q(staff_posts__community=community))
        )
        .distinct()
        .order_by("full_name", "username")
    )


def supervisors_in_scope(proposal):
    now = timezone.now()
    community = proposal.group.community
    return (
        User.objects.filter(
            Q(board_seats__starts_at__lte=now),
            Q(board_seats__ends_at__isnull=True) | Q(board_seats__ends_at__gt=now),
            Q(board_seats__board__community=community) | Q(board_seats__board__subdistrict_id=community.subdistrict_id),
        )
        .distinct()
        .order_by("full_name", "username")
    )


def _contribution_open(proposal) -> bool:
    if proposal.status in services.CONTRIBUTION_STATES:
        return True
    return proposal.status == S.GROUP_REVIEW and proposal.resolutions.exists()


def _money_context(request, proposal, roles, *, forms=None, release_errors=None, reverse_forms=None):
    forms = forms or {}
    reverse_forms = reverse_forms or {}
    summary = selectors.money_summary(proposal)
    contributions = list(
        Contribution.objects.filter(proposal=proposal).select_related("recorded_by", "reversed_by").order_by(
            "recorded_at", "pk")
    )
    can_contribute = roles["group_member"] and _contribution_open(proposal)
    for c in contributions:
        if can_contribute and not c.is_reversed:
            c.reverse_form = reverse_forms.get(c.pk) or ReversalForm(auto_id=f"id_rev{c.pk}_%s")
    bids_qs = Bid.objects.filter(proposal=proposal).order_by("amount", "recorded_at")
    bids = list(bids_qs.select_related("recorded_by", "selected_by").prefetch_related("panel"))
    lowest = min((b.amount for b in bids), default=None)
    for b in bids:
        b.is_lowest = lowest is not None and b.amount == lowest
    member = roles["group_member"]
    show = {
        "contribution": can_contribute,
        "bid": member and proposal.status in services.BID_STATES,
        "select": member and proposal.status == S.RELEASED and summary["selected_bid"] is None,
        "acceptance": member and proposal.status == S.IN_PROGRESS,
        "settlement": (member or roles["street_staff"]) and proposal.status == S.ACCEPTED,
        "release": roles["street_staff"] and proposal.status == S.FUNDED,
        "refund": member or roles["community_staff"],
    }
    context = {
        "proposal": proposal,
        "community": proposal.group.community,
        "roles": roles,
        "s": summary,
        "accounts": selectors.final_accounts(proposal, summary=summary),
        "contributions": contributions,
        "bids": bids,
        "refunds": list(selectors.refunds_of(proposal)),
        "show": show,
        "release_errors": release_errors,
        "blockers": summary["release_blockers"],
        "settlement_blockers": selectors.settlement_blockers(proposal) if proposal.status == S.ACCEPTED else [],
        "today": timezone.localdate(),
    }
    if show["contribution"]:
        context["contribution_form"] = forms.get("contribution") or ContributionForm(
            initial={"paid_on": timezone.localdate()})
    if show["bid"]:
        context["bid_form"] = forms.get("bid") or BidForm()
    if show["select"]:
        context["select_form"] = forms.get("select") or BidSelectForm(
            bids=bids_qs, panel_candidates=_panel_candidates(proposal))
    if show["acceptance"]:
        context["acceptance_form"] = forms.get("acceptance") or AcceptanceForm(
            supervisors=supervisors_in_scope(proposal))
    if show["settlement"]:
        context["settlement_form"] = forms.get("settlement") or SettlementForm()
    return context


def money_page_response(request, proposal, *, roles=None, **kwargs):
    roles = roles or _roles(request, proposal)
    return render(request, "funding/proposal_money.html", _money_context(request, proposal, roles, **kwargs))


@login_required
def proposal_money(request, pk):
    proposal, roles = _proposal_for_money(request, pk)
    return money_page_response(request, proposal, roles=roles)


def _back(proposal, anchor):
    return redirect(reverse("funding:proposal_money", args=[proposal.pk]) + f"#{anchor}")


def _member_only(request, proposal, roles, action):
    _require(request, proposal, roles["group_member"],
             _("只有%(group)s议事会成员可以%(action)s。") % {"group": proposal.group.name, "action": action})


def _run(request, proposal, roles, form, key, anchor, call, success):
    """Validate ``form``, make the one service call, and redirect; on refusal show the page with the message."""
    if form.is_valid() and attempt(request, lambda: call(form.cleaned_data), success=success, form=form):
        return _back(proposal, anchor)
    return money_page_response(request, proposal, roles=roles, forms={key: form})


@login_required
@require_POST
def contribution_add(request, pk):
    proposal, roles = _proposal_for_money(request, pk)
    _member_only(request, proposal, roles, _("登记自筹资金"))
    form = ContributionForm(request.POST)
    return _run(
        request, proposal, roles, form, "contribution", "contributions",
        lambda d: services.contribution_record(
            proposal=proposal, actor=request.user, payer=d["payer"], amount=d["amount"],
            receipt_no=d["receipt_no"], paid_on=d["paid_on"], payer_kind=d["payer_kind"],
        ),
        _("已登记自筹资金。"),
    )


@login_required
@require_POST
def contribution_reverse(request, pk, contribution_pk):
    proposal, roles = _proposal_for_money(request, pk)
    contribution = get_object_or_404(Contribution, pk=contribution_pk, proposal=proposal)
    _member_only(request, proposal, roles, _("冲正自筹资金"))
    form = ReversalForm(request.POST, auto_id=f"id_rev{contribution.pk}_%s")
    if form.is_valid():
        if attempt(request, partial(services.contribution_reverse, contribution=contribution, actor=request.user,
                                    reason=form.cleaned_data["reason"]),
                   success=_("已冲正收据 %(no)s。") % {"no": contribution.receipt_no}, form=form):
            return _back(proposal, "contributions")
    return money_page_response(request, proposal, roles=roles, reverse_forms={contribution.pk: form})


@login_required
@require_POST
def bid_add(request, pk):
    proposal, roles = _proposal_for_money(request, pk)
    _member_only(request, proposal, roles, _("登记比选报价"))
    form = BidForm(request.POST)
    return _run(
        request, proposal, roles, form, "bid", "bids",
        lambda d: services.bid_record(
            proposal=proposal, actor=request.user, contractor=d["contractor"], amount=d["amount"], notes=d["notes"]
        ),
        _("已登记报价。"),
    )


@login_required
@require_POST
def bid_choose(request, pk):
    proposal, roles = _proposal_for_money(request, pk)
    _member_only(request, proposal, roles, _("确定施工方"))
    form = BidSelectForm(
        request.POST, bids=Bid.objects.filter(proposal=proposal), panel_candidates=_panel_candidates(proposal)
    )
    return _run(
        request, proposal, roles, form, "select", "bids",
        lambda d: services.bid_select(bid=d["bid"], actor=request.user, panel=list(d["panel"]), reason=d["reason"]),
        _("已确定施工方。"),
    )


@login_required
@require_POST
def acceptance_add(request, pk):
    proposal, roles = _proposal_for_money(request, pk)
    _member_only(request, proposal, roles, _("登记验收"))
    form = AcceptanceForm(request.POST, supervisors=supervisors_in_scope(proposal))
    return _run(
        request, proposal, roles, form, "acceptance", "acceptance",
        lambda d: services.acceptance_record(
            proposal=proposal, actor=request.user, passed=d["passed"], satisfaction=d["satisfaction"],
            notes=d["notes"], supervisor=d["supervisor"],
        ),
        _("已登记验收。"),
    )


@login_required
@require_POST
def settlement_add(request, pk):
    proposal, roles = _proposal_for_money(request, pk)
    _require(request, proposal, roles["group_member"] or roles["street_staff"],
             _("只有小组议事会成员或街道办工作人员可以登记决算。"))
    form = SettlementForm(request.POST)
    return _run(
        request, proposal, roles, form, "settlement", "accounts",
        lambda d: services.settlement_record(proposal=proposal, actor=request.user, actual_cost=d["actual_cost"]),
        _("已登记决算，结余已按比例退回。"),
    )


@login_required
@require_POST
def refund_paid(request, pk, refund_pk):
    proposal, roles = _proposal_for_money(request, pk)
    refund = get_object_or_404(Refund.objects.select_related("contribution"), pk=refund_pk,
                               contribution__proposal=proposal)
    _require(request, proposal, roles["group_member"] or roles["community_staff"],
             _("只有小组议事会成员或社区工作人员可以登记退款。"))
    attempt(request, partial(services.refund_pay, refund=refund, actor=request.user, paid_on=timezone.localdate()),
            success=_("已登记退款：收据 %(no)s。") % {"no": refund.contribution.receipt_no})
    return _back(proposal, "refunds")
