"""Reads of the funding app: balances, what blocks a release, a proposal's money at a glance.

Nothing here changes state. Amounts are ``Decimal`` with 2 places.
"""

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from councils import policies
from proposals.enums import BallotKind, BallotOutcome, ProposalStatus
from proposals.models import Ballot, Notice, Proposal
from proposals.services import ballot_tally, open_holds
from proposals.thresholds import COMMUNITY_TWO_THIRDS

from .enums import EntryKind, FundKind, ReviewDecision
from .ledger import fund_sums
from .models import (
    ZERO,
    Acceptance,
    Bid,
    BudgetReview,
    Contribution,
    Fund,
    LedgerEntry,
    Refund,
    Settlement,
)

S = ProposalStatus


def money(value) -> str:
    """"18,000.00": how amounts appear in messages."""
    return f"{Decimal(value):,.2f}"


def _local(at: datetime) -> str:
    return date_format(timezone.localtime(at), "DATETIME_FORMAT")


def current_year() -> int:
    """The fiscal year now, in the portal's time zone (Asia/Shanghai)."""
    return timezone.localdate().year


# --------------------------------------------------------------------------- funds


def fund_for(community, year: int | None = None, kind: str = FundKind.PUBLIC_SERVICE) -> Fund | None:
    """The community's fund of ``kind`` for ``year`` (default: the current year)."""
    return Fund.objects.filter(community=community, year=year or current_year(), kind=kind).first()


def fund_balance(fund: Fund) -> Decimal:
    """R15: the money in the fund = the sum of its entries' balance movements."""
    return fund_sums(fund)[0]


def fund_reserved(fund: Fund) -> Decimal:
    """Money promised to approved projects and not yet released or cancelled."""
    return fund_sums(fund)[1]


def fund_available(fund: Fund) -> Decimal:
    """R15: balance − open reservations; never negative."""
    balance, reserved = fund_sums(fund)
    return balance - reserved


def fund_totals(fund: Fund) -> dict:
    """Balance, reserved, available and the sum of each kind of entry, in one query."""
    by_kind = {
        row["kind"]: row
        for row in LedgerEntry.objects.filter(fund=fund)
        .values("kind")
        .annotate(b=Sum("balance_delta"), r=Sum("reserved_delta"))
    }

    def b(kind):
        return by_kind.get(kind, {}).get("b") or ZERO

    def r(kind):
        return by_kind.get(kind, {}).get("r") or ZERO

    balance = sum((row["b"] or ZERO for row in by_kind.values()), ZERO)
    reserved = sum((row["r"] or ZERO for row in by_kind.values()), ZERO)
    return {
        "balance": balance,
        "reserved": reserved,
        "available": balance - reserved,
        "allocated": b(EntryKind.ALLOCATION),
        "donated": b(EntryKind.DONATION),
        "reservations_made": r(EntryKind.RESERVATION),
        "reservations_cancelled": -r(EntryKind.RESERVATION_CANCEL),
        "released": -b(EntryKind.RELEASE),
        "savings_returned": b(EntryKind.SAVINGS_RETURN),
        "corrections": b(EntryKind.CORRECTION),
    }


def fund_entries(fund: Fund):
    """The fund's ledger, oldest first, with what each row needs to display."""
    return (
        LedgerEntry.objects.filter(fund=fund)
        .select_related("proposal", "actor", "corrects")
        .order_by("seq")
    )


def funds_visible_to(user):
    """Funds of the communities the user may read as staff or supervisor (R11)."""
    return (
        Fund.objects.filter(community__in=policies.communities_in_scope(user))
        .select_related("community__subdistrict")
        .order_by("community__name", "-year", "kind")
    )


def share_cap_for(community):
    """The cap of the fund that would pay a new proposal: this year's public-service fund."""
    fund = fund_for(community)
    return fund.share_cap if fund else None


def negative_list_for(community):
    """The negative list of the fund that would pay a new proposal (R8), so drafting refuses early."""
    fund = fund_for(community)
    return fund.negative_list if fund else None


# --------------------------------------------------------------------------- a proposal's money


def approved_review(proposal: Proposal) -> BudgetReview | None:
    return (
        BudgetReview.objects.filter(proposal=proposal, decision=ReviewDecision.APPROVED)
        .select_related("fund", "reservation", "resolution")
        .first()
    )


def latest_review(proposal: Proposal) -> BudgetReview | None:
    return BudgetReview.objects.filter(proposal=proposal).select_related("reviewer").order_by("-reviewed_at").first()


def approved_shares(proposal: Proposal) -> tuple[Decimal, Decimal, Decimal]:
    """(total, community share, self-raised share) in force: as approved, else as proposed."""
    review = approved_review(proposal)
    if review is not None:
        return review.total, review.approved_share, review.total - review.approved_share
    return proposal.total, proposal.community_share, proposal.total - proposal.community_share


def self_raised_target(proposal: Proposal) -> Decimal:
    """R9: what the residents must raise before release."""
    return approved_shares(proposal)[2]


def standing_contributions(proposal: Proposal):
    return Contribution.objects.filter(proposal=proposal, reversed_at__isnull=True)


def contributions_collected(proposal: Proposal) -> Decimal:
    return standing_contributions(proposal).aggregate(s=Sum("amount"))["s"] or ZERO


def proposal_entries(proposal: Proposal) -> dict:
    """The proposal's ledger entries by kind (each kind happens at most once)."""
    return {e.kind: e for e in LedgerEntry.objects.filter(proposal=proposal).select_related("fund")}


def open_reservation(proposal: Proposal) -> LedgerEntry | None:
    """The reservation still waiting for release, if any."""
    entries = proposal_entries(proposal)
    reservation = entries.get(EntryKind.RESERVATION)
    if reservation is None or EntryKind.RESERVATION_CANCEL in entries or EntryKind.RELEASE in entries:
        return None
    return reservation


def passed_community_ballot(proposal: Proposal) -> Ballot | None:
    return (
        Ballot.objects.filter(proposal=proposal, kind=BallotKind.COMMUNITY, outcome=BallotOutcome.PASSED)
        .select_related("resolution")
        .order_by("-closed_at")
        .first()
    )


def selected_bid(proposal: Proposal) -> Bid | None:
    return Bid.objects.filter(proposal=proposal, selected_at__isnull=False).first()


def passed_acceptance(proposal: Proposal) -> Acceptance | None:
    return Acceptance.objects.filter(proposal=proposal, passed=True).select_related("supervisor").first()


def release_blockers(proposal: Proposal, now: datetime | None = None) -> list[str]:
    """R10: why the community share cannot be released yet; empty when it can.

    Each sentence names the rule it comes from. Checked from the records, not
    from the proposal's status alone, so an inconsistent record cannot let
    money out.
    """
    now = now or timezone.now()
    reasons: list[str] = []
    if proposal.status != S.FUNDED:
        reasons.append(
            _("议案当前状态为“%(status)s”，只有“预算已核准”的议案才能拨付。")
            % {"status": proposal.get_status_display()}
        )
    review = approved_review(proposal)
    ballot = passed_community_ballot(proposal)
    resolution = (review.resolution if review and review.resolution_id else None) or (
        ballot.resolution if ballot else None
    )

    # R6: the notice of the voted resolution ran its full time; no objection open or upheld.
    notice = (
        Notice.objects.filter(proposal=proposal, resolution=resolution, voided_at__isnull=True)
        .order_by("-published_at")
        .first()
        if resolution
        else None
    )
    if notice is None:
        reasons.append(_("公示：没有找到这项决议的有效公示。"))
    else:
        if now < notice.ends_at:
            reasons.append(_("公示：公示要到 %(at)s 才期满。") % {"at": _local(notice.ends_at)})
        open_count = notice.objections.filter(answered_at__isnull=True).count()
        if open_count:
            reasons.append(
                ngettext(
                    "公示：还有 %(n)d 条异议没有答复。", "公示：还有 %(n)d 条异议没有答复。", open_count
                )
                % {"n": open_count}
            )
        if notice.objections.filter(upheld=True).exists():
            reasons.append(_("公示：有异议被采纳，需要重新形成决议并重新公示。"))

    # R7: the community ballot on that resolution passed the two-thirds rule.
    if ballot is None:
        reasons.append(_("社区表决：没有通过的社区议事会表决。"))
    else:
        tally = ballot_tally(ballot)
        if not COMMUNITY_TWO_THIRDS.passes(approve=tally["approve"], electorate=tally["electorate"]):
            reasons.append(
                _("社区表决：赞成 %(approve)d 票，未达到全体 %(electorate)d 名成员的三分之二（需要 %(needed)d 票）。")
                % {
                    "approve": tally["approve"],
                    "electorate": tally["electorate"],
                    "needed": COMMUNITY_TWO_THIRDS.approvals_needed(electorate=tally["electorate"]),
                }
            )
        if review is not None and review.resolution_id and ballot.resolution_id != review.resolution_id:
            reasons.append(_("社区表决：表决的决议与预算审核的决议不一致。"))

    # R8: the budget was approved and the community share is reserved on the fund.
    reservation = open_reservation(proposal)
    if review is None:
        reasons.append(_("预算审核：街道办尚未核准预算。"))
    elif review.approved_share > 0 and (reservation is None or reservation.reserved_delta != review.approved_share):
        reasons.append(_("预算审核：资金账户中没有这项预算的有效预留。"))

    # R9: contributions collected reach the self-raised share.
    if review is not None:
        target = review.total - review.approved_share
        collected = contributions_collected(proposal)
        if collected < target:
            reasons.append(
                _("居民自筹：应筹 %(target)s 元，已登记 %(collected)s 元，还差 %(short)s 元。")
                % {"target": money(target), "collected": money(collected), "short": money(target - collected)}
            )

    # R11: no supervisory hold is open.
    holds = list(open_holds(proposal))
    for hold in holds:
        reasons.append(_("监督暂停：%(reason)s（%(at)s 暂停，尚未解除）。") % {"reason": hold.reason, "at": _local(hold.placed_at)})
    return reasons


def settlement_blockers(proposal: Proposal) -> list[str]:
    """R11/R13: why the actual cost cannot be entered yet; empty when it can."""
    reasons = []
    if proposal.status != S.ACCEPTED:
        reasons.append(
            _("议案当前状态为“%(status)s”，验收合格后才能决算。") % {"status": proposal.get_status_display()}
        )
    for hold in open_holds(proposal):
        reasons.append(
            _("监督暂停：%(reason)s（%(at)s 暂停，尚未解除）。") % {"reason": hold.reason, "at": _local(hold.placed_at)}
        )
    return reasons


def money_summary(proposal: Proposal) -> dict:
    """Everything the money panel of a proposal page shows (no payer names).

    Seven queries whatever the history: each table is read once and the approved and latest
    reviews, the selected bid and the passed acceptance are picked from those rows (each is
    unique per proposal by a database constraint).
    """
    reviews = list(
        BudgetReview.objects.filter(proposal=proposal)
        .select_related("fund", "reservation", "resolution", "reviewer")
        .order_by("-reviewed_at", "-pk")
    )
    review = next((r for r in reviews if r.decision == ReviewDecision.APPROVED), None)
    if review is not None:
        total, community_share = review.total, review.approved_share
    else:
        total, community_share = proposal.total, proposal.community_share
    self_share = total - community_share
    entries = proposal_entries(proposal)
    paid_in = standing_contributions(proposal).aggregate(s=Sum("amount"), n=Count("pk"))
    collected = paid_in["s"] or ZERO
    bids = list(Bid.objects.filter(proposal=proposal).order_by("amount", "recorded_at"))
    acceptances = list(Acceptance.objects.filter(proposal=proposal).select_related("supervisor").order_by("recorded_at"))
    settlement = Settlement.objects.filter(proposal=proposal).select_related("bid", "fund__community").first()
    return {
        "requested_share": proposal.community_share,
        "review": review,
        "latest_review": reviews[0] if reviews else None,
        "total": total,
        "community_share": community_share,
        "self_raised_share": self_share,
        "collected": collected,
        "still_to_raise": max(self_share - collected, ZERO),
        "contribution_count": paid_in["n"],
        "reservation": entries.get(EntryKind.RESERVATION),
        "reservation_cancel": entries.get(EntryKind.RESERVATION_CANCEL),
        "release": entries.get(EntryKind.RELEASE),
        "savings_return": entries.get(EntryKind.SAVINGS_RETURN),
        "bids": bids,
        "selected_bid": next((b for b in bids if b.selected_at is not None), None),
        "acceptances": acceptances,
        "settlement": settlement,
        "release_blockers": release_blockers(proposal) if proposal.status == S.FUNDED else [],
        "open_holds": list(open_holds(proposal)),
    }


def final_accounts(proposal: Proposal, *, summary: dict | None = None) -> dict | None:
    """R13: the public final accounts of a settled project (no personal data).

    ``summary``: the proposal's ``money_summary``, whose settlement and acceptances are reused.
    """
    if summary is not None:
        settlement = summary["settlement"]
        acceptance = next((a for a in summary["acceptances"] if a.passed), None)
    else:
        settlement = Settlement.objects.filter(proposal=proposal).select_related("bid", "fund__community").first()
        acceptance = passed_acceptance(proposal) if settlement is not None else None
    if settlement is None:
        return None
    refunds = Refund.objects.filter(settlement=settlement).aggregate(
        paid=Sum("amount", filter=Q(paid_on__isnull=False)), n=Count("pk")
    )
    return {
        "approved_total": settlement.approved_total,
        "community_share": settlement.community_share,
        "self_raised_share": settlement.self_raised_share,
        "contributions_collected": settlement.contributions_collected,
        "contractor": settlement.bid.contractor if settlement.bid else "",
        "contract_amount": settlement.bid.amount if settlement.bid else None,
        "actual_cost": settlement.actual_cost,
        "savings": settlement.savings,
        "returned_to_fund": settlement.community_savings,
        "residents_savings": settlement.residents_savings,
        "refundable_total": settlement.refundable_total,
        "refunded_so_far": refunds["paid"] or ZERO,
        "refund_count": refunds["n"],
        "fund": str(settlement.fund),
        "satisfaction": acceptance.get_satisfaction_display() if acceptance else "",
        "accepted_at": acceptance.recorded_at if acceptance else None,
        "settled_at": settlement.recorded_at,
    }


def refunds_of(proposal: Proposal):
    return (
        Refund.objects.filter(contribution__proposal=proposal)
        .select_related("contribution", "paid_recorded_by")
        .order_by("contribution__recorded_at", "pk")
    )


def fund_proposals(fund: Fund):
    """Proposals that reserved, received or returned money of ``fund``."""
    return Proposal.objects.filter(ledger_entries__fund=fund).distinct().order_by("-updated_at")
