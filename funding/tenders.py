"""Open tenders (R24): publish, sealed bids on the platform, residents' votes, selection.

A tender is published by the group council for a released proposal, or by
community staff for a service project of the needs app. ACTIVE organisations
and registered companies (organisations of kind enterprise with a valid credit
code) bid once each until ``closes_at``; a bid at the closing instant is late.
Sealed: before the close nothing — page, export, admin, API, notification,
outbox payload, log line or proposal event — carries an amount or a bidder;
the only trace of a bid before then is the row itself.

At the close the bids are opened (``tender_close``: idempotent; the beat runs
``tenders_close_due`` every few minutes, and every later step opens them
first, so a stopped worker delays the notice but never a right): for a
proposal each platform bid becomes an R12 ``Bid`` (so R12's "at least 3 bids"
counts it) with a BID_RECORDED event. Then the residents vote, one vote each
(a unique constraint), for ``voting_days``. The R12 panel selects after the
voting days, through ``bid_select`` (proposals) or ``tender_select``
(projects): a choice that is neither the lowest nor the most voted needs a
written reason.
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from councils import policies
from councils.models import Residency
from organisations import policies as org_policies
from organisations.enums import ENTERPRISE_MAY_BID, MAY_BID, OrganisationKind
from organisations.models import Organisation
from organisations.validators import validate_credit_code
from proposals.enums import EventKind, ProposalStatus
from proposals.history import event_write, lock_proposal
from proposals.models import Proposal
from yishi.errors import DomainError, PermissionDenied

from .models import Bid, BidderVote, Tender, TenderBid

logger = logging.getLogger(__name__)
S = ProposalStatus

VOTING_DAYS_MAX = 30
# A bidder needs at least this long to prepare (and a tender open longer than this is forgotten).
OPEN_AT_LEAST = timedelta(hours=24)
OPEN_AT_MOST = timedelta(days=90)


def _local(at: datetime) -> str:
    return date_format(timezone.localtime(at), "Y-m-d H:i")


def lock_tender(tender: Tender) -> Tender:
    tender.refresh_from_db(from_queryset=Tender.objects.select_for_update())
    return tender


# --------------------------------------------------------------------------- who may


def bidder_refusal(organisation: Organisation) -> str:
    """Why ``organisation`` may not bid (a sentence), or "" when it may."""
    if organisation.kind == OrganisationKind.ENTERPRISE:
        try:
            validate_credit_code(organisation.credit_code)
        except Exception as exc:  # ValidationError: its message says what is wrong with the code
            detail = exc.messages[0] if hasattr(exc, "messages") else str(exc)
            return _("%(org)s的统一社会信用代码无效，不能投标：%(detail)s") % {"org": organisation.name, "detail": detail}
        if organisation.status not in ENTERPRISE_MAY_BID:
            return _("%(org)s目前是“%(status)s”状态，不能投标。") % {
                "org": organisation.name, "status": organisation.get_status_display()}
        return ""
    if organisation.status not in MAY_BID:
        return _("只有正常运行的组织或注册企业可以投标；%(org)s目前是“%(status)s”状态。") % {
            "org": organisation.name, "status": organisation.get_status_display()}
    return ""


def voters_of(tender: Tender):
    """Residencies whose holders may vote: the group's (proposal) or the community's (project) verified residents."""
    qs = Residency.objects.current().filter(verified_at__isnull=False)
    if tender.proposal_id:
        return qs.filter(group_id=tender.proposal.group_id)
    return qs.filter(group__community_id=tender.community_id)


def may_publish_for(actor, *, proposal=None, project=None) -> bool:
    if proposal is not None:
        return policies.is_group_council_member(actor, proposal.group)
    if project is not None:
        return policies.is_community_staff(actor, project.community)
    return False


def vote_counts(tender: Tender) -> dict[int, int]:
    """Votes per bid id (bids without votes absent)."""
    return dict(
        BidderVote.objects.filter(tender=tender).values("bid").annotate(n=Count("pk")).values_list("bid", "n")
    )


def most_voted_ids(tender: Tender) -> set[int]:
    counts = vote_counts(tender)
    top = max(counts.values(), default=0)
    return {pk for pk, n in counts.items() if n == top and top > 0}


# --------------------------------------------------------------------------- publish


def tender_publish(
    *, actor, closes_at, voting_days, requirements: str, proposal: Proposal | None = None, project=None,
) -> Tender:
    """Publish an open tender for a released proposal (its group council) or a service project (community staff).

    ``closes_at``: the instant bids close (at least 24 hours ahead, at most 90
    days); ``voting_days`` (1–30): how long the residents vote after it. One
    tender per proposal or project. Writes a TENDER_PUBLISHED event on the
    proposal; after commit, eligible organisations are told.
    """
    from yishi.text import check_text

    if (proposal is None) == (project is None):
        raise DomainError(_("招标须针对一个议案或一个服务项目。"))
    requirements = check_text(requirements, _("招标要求"), 4000, multiline=True)
    try:
        voting_days = int(voting_days)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("请填写居民投票天数（1 到 30 天）。")) from exc
    if not 1 <= voting_days <= VOTING_DAYS_MAX:
        raise DomainError(_("居民投票天数应为 1 到 30 天。"))
    if not isinstance(closes_at, datetime) or timezone.is_naive(closes_at):
        raise DomainError(_("请填写投标截止时间。"))
    now = timezone.now()
    if closes_at < now + OPEN_AT_LEAST:
        raise DomainError(_("投标截止时间至少要在 24 小时以后，给投标方准备的时间。"))
    if closes_at > now + OPEN_AT_MOST:
        raise DomainError(_("投标截止时间不能超过 90 天以后。"))
    with transaction.atomic():
        if proposal is not None:
            from .selectors import approved_review, selected_bid

            lock_proposal(proposal)
            community = proposal.group.community
            if not policies.is_group_council_member(actor, proposal.group):
                raise PermissionDenied(
                    _("只有%(group)s议事会成员可以为这个议案发布招标。") % {"group": proposal.group.name})
            if proposal.status != S.RELEASED:
                raise DomainError(
                    _("资金拨付后、确定施工方之前才能发布招标；这个议案现在是“%(status)s”。")
                    % {"status": proposal.get_status_display()}, code="status")
            if selected_bid(proposal) is not None:
                raise DomainError(_("这个议案已经确定了施工方，不能再招标。"))
            review = approved_review(proposal)
            title, budget = proposal.title, review.total if review else proposal.total
        else:
            from needs.enums import ProjectStatus
            from needs.models import ServiceProject

            project = ServiceProject.objects.select_for_update().select_related("community").get(pk=project.pk)
            community = project.community
            if not policies.is_community_staff(actor, community):
                raise PermissionDenied(
                    _("只有%(community)s的工作人员可以为服务项目发布招标。") % {"community": community.name})
            if project.status != ProjectStatus.LISTED:
                raise DomainError(
                    _("只有待认领的服务项目可以招标；这个项目现在是“%(status)s”。")
                    % {"status": project.get_status_display()}, code="status")
            title, budget = project.title, None
        if Tender.objects.filter(proposal=proposal, project=project).exists():
            raise DomainError(_("已经为它发布过招标。"), code="duplicate_tender")
        try:
            with transaction.atomic():
                tender = Tender.objects.create(
                    community=community, proposal=proposal, project=project, title=title[:120],
                    requirements=requirements, budget=budget, published_at=now, published_by=actor,
                    closes_at=closes_at, voting_days=voting_days,
                )
        except IntegrityError as exc:
            raise DomainError(_("已经为它发布过招标。"), code="duplicate_tender") from exc
        if proposal is not None:
            event_write(
                proposal=proposal, kind=EventKind.TENDER_PUBLISHED, actor=actor,
                amounts={"budget": budget} if budget is not None else None,
                data={"tender": tender.pk, "closes_at": closes_at.isoformat(), "voting_days": voting_days},
            )
        from . import tender_notify

        transaction.on_commit(lambda: tender_notify.tender_published(tender.pk))
    return tender


# --------------------------------------------------------------------------- bid


def tender_bid(*, tender: Tender, organisation: Organisation, actor, amount, plan: str,
               qualifications: str = "") -> TenderBid:
    """An admin of an eligible organisation bids once, before the close (a bid at the closing instant is late).

    The bid is sealed until the close: no event, notification or log line names it.
    """
    from .services import _text, _to_money

    amount = _to_money(amount, _("报价"))
    plan = _text(plan, _("实施方案"), 4000)
    qualifications = _text(qualifications, _("资质说明"), 2000, required=False)
    with transaction.atomic():
        tender = lock_tender(tender)
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if not org_policies.is_admin(actor, organisation):
            raise PermissionDenied(_("只有%(org)s的负责人可以为它投标。") % {"org": organisation.name})
        if timezone.now() >= tender.closes_at:
            raise DomainError(
                _("投标已于 %(at)s 截止，不能再投标。") % {"at": _local(tender.closes_at)}, code="closed")
        refusal = bidder_refusal(organisation)
        if refusal:
            raise DomainError(refusal, code="bidder")
        if tender.budget is not None and amount > tender.budget:
            raise DomainError(
                _("报价不能超过招标的预算上限 %(budget)s 元。") % {"budget": f"{tender.budget:,.2f}"}, code="over_budget")
        if TenderBid.objects.filter(tender=tender, organisation=organisation).exists():
            raise DomainError(_("%(org)s已经投过标，每家只能投一次。") % {"org": organisation.name}, code="duplicate")
        try:
            with transaction.atomic():
                bid = TenderBid.objects.create(
                    tender=tender, organisation=organisation, amount=amount, plan=plan,
                    qualifications=qualifications, submitted_by=actor,
                )
        except IntegrityError as exc:
            raise DomainError(_("%(org)s已经投过标，每家只能投一次。") % {"org": organisation.name},
                              code="duplicate") from exc
        # Sealed (R24): log the tender only, never the bidder or the amount.
        logger.info("tender %s received a bid", tender.pk, extra={"tender": tender.pk})
    return bid


# --------------------------------------------------------------------------- close


def tender_close(*, tender: Tender, actor=None) -> Tender:
    """Open the bids once the closing instant has passed; idempotent (the first call does the work).

    For a proposal, each platform bid becomes an R12 ``Bid`` with a
    BID_RECORDED event, and a TENDER_CLOSED event records the count. After
    commit, the residents who may vote are told.
    """
    with transaction.atomic():
        if tender.proposal_id:
            lock_proposal(Proposal.objects.get(pk=tender.proposal_id))
        tender = lock_tender(tender)
        if timezone.now() < tender.closes_at:
            raise DomainError(
                _("投标到 %(at)s 才截止，截止前报价保密，不能开标。") % {"at": _local(tender.closes_at)}, code="sealed")
        if tender.closed_at is not None:
            return tender
        tender.closed_at = timezone.now()
        tender.save(update_fields=["closed_at"])
        bids = list(tender.bids.select_related("organisation", "submitted_by").order_by("submitted_at", "pk"))
        if tender.proposal_id:
            proposal = tender.proposal
            taken = set(Bid.objects.filter(proposal=proposal).values_list("contractor", flat=True))
            for tb in bids:
                contractor = tb.organisation.name
                if contractor in taken:  # the council typed in the same firm: keep both, told apart
                    contractor = _("%(name)s（平台投标）") % {"name": contractor}
                taken.add(contractor)
                bid = Bid.objects.create(
                    proposal=proposal, contractor=contractor[:120], amount=tb.amount,
                    notes=(_("平台投标：") + tb.plan)[:2000], recorded_by=tb.submitted_by, recorded_at=tb.submitted_at,
                    tender_bid=tb,
                )
                event_write(
                    proposal=proposal, kind=EventKind.BID_RECORDED, actor=tb.submitted_by,
                    amounts={"amount": tb.amount},
                    data={"bid": bid.pk, "contractor": contractor, "tender": tender.pk, "tender_bid": tb.pk},
                )
            event_write(
                proposal=proposal, kind=EventKind.TENDER_CLOSED, actor=actor,
                data={"tender": tender.pk, "bids": len(bids), "votes_close_at": tender.votes_close_at.isoformat()},
            )
        from . import tender_notify

        transaction.on_commit(lambda: tender_notify.tender_voting(tender.pk))
    return tender


def tenders_close_due(*, now: datetime | None = None) -> int:
    """Open every tender whose close has passed (celery beat). Returns how many were opened now."""
    now = now or timezone.now()
    opened = 0
    for tender in Tender.objects.filter(closes_at__lte=now, closed_at__isnull=True).order_by("closes_at")[:200]:
        try:
            tender_close(tender=tender)
            opened += 1
        except DomainError:  # pragma: no cover - the filter above makes it impossible
            logger.warning("tender %s could not be opened", tender.pk)
    return opened


# --------------------------------------------------------------------------- residents' votes


def bidder_vote(*, tender: Tender, resident, bid: TenderBid) -> BidderVote:
    """A verified resident of the group (the community, for a project) votes for one bid, once, during the voting days.

    One vote per resident and tender: a unique constraint, so concurrent
    clicks leave one vote; the second gets the sentence.
    """
    now = timezone.now()
    if tender.closes_at > now:
        raise DomainError(
            _("投标 %(at)s 截止后才能投票。") % {"at": _local(tender.closes_at)}, code="not_yet")
    if now >= tender.votes_close_at:
        raise DomainError(
            _("居民投票已于 %(at)s 结束。") % {"at": _local(tender.votes_close_at)}, code="over")
    if bid.tender_id != tender.pk:
        raise DomainError(_("所选投标不属于这次招标。"))
    if not voters_of(tender).filter(user=resident).exists():
        where = tender.proposal.group.name if tender.proposal_id else tender.community.name
        raise PermissionDenied(_("只有%(where)s的核实居民可以投票。") % {"where": where})
    if tender.closed_at is None:
        tender_close(tender=tender)
    if BidderVote.objects.filter(tender=tender, resident=resident).exists():
        raise DomainError(_("您已经投过票了，每人只能投一票，投出后不能更改。"), code="duplicate")
    try:
        with transaction.atomic():
            return BidderVote.objects.create(tender=tender, resident=resident, bid=bid, cast_at=now)
    except IntegrityError as exc:
        raise DomainError(_("您已经投过票了，每人只能投一票，投出后不能更改。"), code="duplicate") from exc


# --------------------------------------------------------------------------- selection


def selection_check(*, tender: Tender, chosen: TenderBid, reason: str) -> None:
    """R24: choosing a bid that is neither the lowest nor the most voted needs a written reason."""
    bids = list(tender.bids.all())
    lowest = min((b.amount for b in bids), default=None)
    if chosen.amount == lowest or chosen.pk in most_voted_ids(tender) or reason:
        return
    raise DomainError(
        _("所选投标既不是最低价（%(lowest)s 元），也不是居民得票最多的，请写明选择理由。")
        % {"lowest": f"{lowest:,.2f}"}, code="reason_required")


def require_votes_over(tender: Tender) -> None:
    if timezone.now() < tender.votes_close_at:
        raise DomainError(
            _("居民投票到 %(at)s 结束，结束后才能确定中标方。") % {"at": _local(tender.votes_close_at)},
            code="voting")


def tender_select(*, tender: Tender, bid: TenderBid, actor, panel=(), reason: str = "") -> TenderBid:
    """The panel selects a bid after the voting days.

    For a proposal this is R12's ``bid_select`` on the bid's R12 record (group
    council, panel with a supervisor, at least 3 bids). For a service project,
    community staff select. Returns the selected ``TenderBid``.
    """
    from .services import _text, bid_select

    reason = _text(reason, _("选定理由"), 2000, required=False)
    if bid.tender_id != tender.pk:
        raise DomainError(_("所选投标不属于这次招标。"))
    if tender.proposal_id:
        require_votes_over(tender)
        if tender.closed_at is None:
            tender_close(tender=tender)
        r12 = Bid.objects.get(tender_bid=bid)
        bid_select(bid=r12, actor=actor, panel=panel, reason=reason)
        bid.refresh_from_db()
        return bid
    with transaction.atomic():
        tender = lock_tender(tender)
        if not policies.is_community_staff(actor, tender.community):
            raise PermissionDenied(_("只有%(c)s的工作人员可以确定中标方。") % {"c": tender.community.name})
        require_votes_over(tender)
        if tender.bids.filter(selected_at__isnull=False).exists():
            raise DomainError(_("已经确定了中标方。"))
        bid = TenderBid.objects.select_for_update().get(pk=bid.pk)
        selection_check(tender=tender, chosen=bid, reason=reason)
        bid.selected_at = timezone.now()
        bid.save(update_fields=["selected_at"])
        if tender.closed_at is None:
            tender.closed_at = timezone.now()
            tender.save(update_fields=["closed_at"])
    return bid


def tender_for_proposal(proposal: Proposal) -> Tender | None:
    return Tender.objects.filter(proposal=proposal).first()
