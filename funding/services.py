"""Every change of money (R8–R13, R15).

Each public function runs in one transaction: the proposal re-read under its
row lock (``proposals.history.lock_proposal``), then — when money moves — the
fund row under its lock (``funding.ledger.lock_fund``); every precondition
checked again under the locks; the records written; one ``ProposalEvent``.
Proposal states move only through ``proposals.services.proposal_transition``.
A refusal raises ``DomainError`` with a sentence a person can act on and
changes nothing.

Lock order everywhere: proposal row, then fund row. The fund row lock is what
serialises reservations (R15): the available amount is summed after the lock
is taken, so two approvals cannot both spend the last yuan.

Return values: the record each step creates (``BudgetReview``, ``Contribution``,
``Bid``, ``Acceptance``, ``Settlement``, ``LedgerEntry``, ``Refund``, ``Fund``);
``funds_release`` returns the proposal (its release entry is
``selectors.proposal_entries(p)["release"]``).
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies
from councils.models import Community
from proposals.enums import Category, EventKind, ProposalStatus
from proposals.history import event_write, lock_proposal
from proposals.models import MONEY_CEILING, Proposal
from proposals.services import proposal_transition, require_status
from yishi.errors import DomainError, PermissionDenied
from yishi.text import LINE_MAX, check_text

from .enums import EntryKind, FundKind, PayerKind, RefundCause, ReviewDecision, Satisfaction
from .ledger import entry_write, fund_sums, lock_fund
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
    TenderBid,
)
from .selectors import (
    approved_review,
    contributions_collected,
    current_year,
    fund_for,
    money,
    open_reservation,
    passed_community_ballot,
    release_blockers,
    selected_bid,
    self_raised_target,
    settlement_blockers,
    standing_contributions,
)

S = ProposalStatus
CENT = Decimal("0.01")

# R9: residents may pay once the group council has adopted a resolution, until the money is released.
CONTRIBUTION_STATES = (S.ADOPTED, S.NOTICE, S.SUBMITTED, S.COMMUNITY_VOTE, S.APPROVED, S.FUNDED)
# Bids may be gathered from the community's approval on; one is chosen after release.
BID_STATES = (S.APPROVED, S.FUNDED, S.RELEASED)
MIN_BIDS = 3  # R12


# --------------------------------------------------------------------------- helpers


def _to_money(value, what: str, *, allow_zero: bool = False, allow_negative: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise DomainError(_("%(what)s必须是数字。") % {"what": what}) from exc
    if not amount.is_finite():
        raise DomainError(_("%(what)s必须是数字。") % {"what": what})
    # Before quantize(): a huge value (1e30) would overflow the decimal context there.
    if abs(amount) > MONEY_CEILING:
        raise DomainError(_("%(what)s不能超过 1000 万元。") % {"what": what})
    if amount != amount.quantize(CENT):
        raise DomainError(_("%(what)s最多保留两位小数（分）。") % {"what": what})
    amount = amount.quantize(CENT)
    if amount < 0 and not allow_negative:
        raise DomainError(_("%(what)s不能是负数。") % {"what": what})
    if amount == 0 and not allow_zero:
        raise DomainError(_("%(what)s必须大于 0 元。") % {"what": what})
    return amount


def _text(value, what: str, max_length: int, *, required: bool = True) -> str:
    # Names and numbers are single lines; longer texts may have paragraphs (yishi/text.py).
    return check_text(value, what, max_length, multiline=max_length > LINE_MAX, required=required)


def _to_date(value, what: str) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise DomainError(_("%(what)s的格式应为 2026-05-01。") % {"what": what}) from exc
    if not isinstance(value, date):
        raise DomainError(_("请填写%(what)s。") % {"what": what})
    if value > timezone.localdate():
        raise DomainError(_("%(what)s不能晚于今天。") % {"what": what})
    if value.year < 2000:
        raise DomainError(_("%(what)s不正确。") % {"what": what})
    return value


def _require_street_staff(user, community: Community, action: str) -> None:
    if not policies.is_street_staff(user, community.subdistrict):
        raise PermissionDenied(
            _("只有%(street)s的街道办工作人员可以%(action)s。") % {"street": community.subdistrict.name, "action": action}
        )


def _require_group_member(user, proposal: Proposal, action: str) -> None:
    if not policies.is_group_council_member(user, proposal.group):
        raise PermissionDenied(
            _("只有%(group)s议事会成员可以%(action)s。") % {"group": proposal.group.name, "action": action}
        )


def _fen(value: Decimal) -> int:
    return int((Decimal(value) * 100).to_integral_value())


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def savings_split(*, savings, community_share, total) -> tuple[Decimal, Decimal]:
    """R13: split savings in proportion to the shares, exactly to the fen.

    The community part is ``savings × community_share / total`` rounded half
    up to the fen; the residents' part is the rest, so the two always add up
    to the savings. Integer arithmetic in fen only.
    """
    s, c, t = _fen(savings), _fen(community_share), _fen(total)
    if t <= 0:
        raise ValueError("total must be positive")
    community = (2 * s * c + t) // (2 * t)
    return _yuan(community), _yuan(s - community)


def pro_rata(amount, weights) -> list[Decimal]:
    """Split ``amount`` over ``weights`` to the fen by the largest-remainder method.

    Each part is first rounded down; the fen left over go one each to the
    parts with the largest remainders (ties: the earlier weight first). The
    parts add up to ``amount`` exactly.
    """
    a = _fen(amount)
    ws = [_fen(w) for w in weights]
    total = sum(ws)
    if not ws or total <= 0:
        return [ZERO for _w in ws]
    base = [a * w // total for w in ws]
    remainders = [a * w % total for w in ws]
    left = a - sum(base)
    for index in sorted(range(len(ws)), key=lambda i: (-remainders[i], i))[:left]:
        base[index] += 1
    return [_yuan(f) for f in base]


# --------------------------------------------------------------------------- funds (R15)


def fund_create(
    *, community: Community, year: int, actor, kind: str = FundKind.PUBLIC_SERVICE,
    share_cap_percent=Decimal("50.00"), negative_list=None,
) -> Fund:
    """Street-office staff open a community's fund for a year. Money comes in by ``fund_allocate``."""
    _require_street_staff(actor, community, _("设立资金账户"))
    if kind not in FundKind.values:
        raise DomainError(_("请选择资金类别。"))
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("请填写年度。")) from exc
    if not 2000 <= year <= 2100:
        raise DomainError(_("年度不正确。"))
    cap = _to_money(share_cap_percent, _("公服资金占比上限"))
    if cap > 100:
        raise DomainError(_("公服资金占比上限不能超过 100%。"))
    negative = list(negative_list) if negative_list is not None else None
    if negative is not None:
        unknown = [v for v in negative if v not in Category.values]
        if unknown:
            raise DomainError(_("负面清单中有未知的类别：%(v)s。") % {"v": "、".join(map(str, unknown))})
    with transaction.atomic():
        if Fund.objects.filter(community=community, year=year, kind=kind).exists():
            raise DomainError(
                _("%(community)s %(year)d 年的%(kind)s账户已经存在。")
                % {"community": community.name, "year": year, "kind": FundKind(kind).label}
            )
        fields = {"share_cap_percent": cap, "created_by": actor}
        if negative is not None:
            fields["negative_list"] = negative
        try:
            with transaction.atomic():
                return Fund.objects.create(community=community, year=year, kind=kind, **fields)
        except IntegrityError as exc:
            raise DomainError(_("这个资金账户已经存在。")) from exc


def fund_allocate(*, fund: Fund, actor, amount, source: str = "", memo: str = "") -> LedgerEntry:
    """Street-office staff record money allocated into the fund (e.g. the year's 公服资金 from the district)."""
    amount = _to_money(amount, _("拨入金额"))
    source = _text(source, _("资金来源"), 120, required=False)
    memo = _text(memo, _("说明"), 2000, required=False)
    _require_street_staff(actor, fund.community, _("拨入资金"))
    with transaction.atomic():
        lock_fund(fund)
        return entry_write(
            fund=fund, kind=EntryKind.ALLOCATION, balance_delta=amount, actor=actor, counterparty=source, memo=memo
        )


def fund_donate(*, fund: Fund, actor, amount, donor: str, memo: str = "") -> LedgerEntry:
    """Street-office staff record a donation into the fund (mostly a community foundation)."""
    amount = _to_money(amount, _("捐赠金额"))
    donor = _text(donor, _("捐赠人"), 120)
    memo = _text(memo, _("说明"), 2000, required=False)
    _require_street_staff(actor, fund.community, _("登记捐赠"))
    with transaction.atomic():
        lock_fund(fund)
        return entry_write(
            fund=fund, kind=EntryKind.DONATION, balance_delta=amount, actor=actor, counterparty=donor, memo=memo
        )


def ledger_correct(*, fund: Fund, actor, amount, reason: str, corrects: LedgerEntry | None = None) -> LedgerEntry:
    """Correct the fund's balance by a new entry (positive or negative); nothing is ever edited.

    Refused when it would leave less available than is reserved for approved projects.
    """
    amount = _to_money(amount, _("更正金额"), allow_negative=True)
    reason = _text(reason, _("更正理由"), 2000)
    _require_street_staff(actor, fund.community, _("更正资金流水"))
    with transaction.atomic():
        lock_fund(fund)
        if corrects is not None and corrects.fund_id != fund.pk:
            raise DomainError(_("被更正的记录不属于这个资金账户。"))
        balance, reserved = fund_sums(fund)
        if balance + amount - reserved < 0:
            raise DomainError(
                _("更正后可用余额将为 %(after)s 元：账户余额 %(balance)s 元中有 %(reserved)s 元已为项目预留。")
                % {"after": money(balance + amount - reserved), "balance": money(balance), "reserved": money(reserved)},
                code="shortfall",
            )
        return entry_write(
            fund=fund, kind=EntryKind.CORRECTION, balance_delta=amount, actor=actor, memo=reason, corrects=corrects
        )


# --------------------------------------------------------------------------- budget review (R8)


def budget_approve(
    *, proposal: Proposal, reviewer, community_share=None, note: str = "", fund: Fund | None = None,
) -> BudgetReview:
    """R8: APPROVED -> FUNDED. Street-office staff approve the budget and reserve the community share.

    ``fund`` (optional): the community's fund that pays, e.g. its community
    foundation; by default this year's public-service fund. From a foundation,
    designated donations are used only for their purpose (R21,
    ``funding.foundation.draw_for_reservation``).

    ``community_share`` (optional) lowers the share; the self-raised share
    rises by the same amount. Refused when the share would be raised, exceeds
    the fund's cap (R3), the category is on the fund's negative list, or the
    current year's public-service fund has too little available. Writes a
    RESERVATION ledger entry, a ``BudgetReview`` and the BUDGET_APPROVED event.
    """
    lowered = None
    if community_share not in (None, ""):
        lowered = _to_money(community_share, _("核定公服资金"), allow_zero=True)
    note = _text(note, _("审核意见"), 2000, required=False)
    with transaction.atomic():
        lock_proposal(proposal)
        community = proposal.group.community
        _require_street_staff(reviewer, community, _("审核预算"))
        require_status(proposal, S.APPROVED, action=_("核准预算（社区表决通过后才能审核）"))
        ballot = passed_community_ballot(proposal)
        resolution = ballot.resolution if ballot else None
        # The budget the community voted on is the one reviewed.
        total = resolution.total if resolution else proposal.total
        requested = resolution.community_share if resolution else proposal.community_share
        category = resolution.category if resolution else proposal.category
        share = requested if lowered is None else lowered
        if share > requested:
            raise DomainError(
                _("预算审核只能核减公服资金，不能核增：申请 %(requested)s 元，填写的 %(share)s 元更多。")
                % {"requested": money(requested), "share": money(share)},
                code="share_raised",
            )
        year = current_year()
        if fund is not None:
            if fund.community_id != community.pk:
                raise DomainError(_("所选资金账户不属于%(community)s。") % {"community": community.name})
        else:
            fund = fund_for(community, year)
        if fund is None:
            raise DomainError(
                _("%(community)s还没有 %(year)d 年的公服资金账户，请先设立账户并拨入资金。")
                % {"community": community.name, "year": year},
                code="no_fund",
            )
        lock_fund(fund)
        if category in (fund.negative_list or []):
            raise DomainError(
                _("“%(category)s”在%(fund)s的负面清单上，不能使用公服资金。")
                % {"category": Category(category).label, "fund": fund},
                code="negative_list",
            )
        if Fraction(share) > fund.share_cap * Fraction(total):
            limit = _yuan(int(Fraction(_fen(total)) * fund.share_cap))
            raise DomainError(
                _(
                    "公服资金最多为总预算的 %(pct)s%%，即 %(limit)s 元；核定的 %(share)s 元超出上限，"
                    "请核减到 %(limit)s 元以内，其余由居民自筹。"
                )
                % {"pct": f"{fund.share_cap_percent.normalize():f}", "limit": money(limit), "share": money(share)},
                code="over_cap",
            )
        reservation = None
        if share > 0:
            balance, reserved = fund_sums(fund)
            available = balance - reserved
            if available < share:
                raise DomainError(
                    _("%(fund)s可用余额 %(available)s 元，本项目需要 %(share)s 元，还差 %(short)s 元。")
                    % {"fund": fund, "available": money(available), "share": money(share),
                       "short": money(share - available)},
                    code="shortfall",
                )
            plan = draw_plan(fund=fund, proposal=proposal, category=category, share=share)
            reservation = entry_write(
                fund=fund, kind=EntryKind.RESERVATION, reserved_delta=share, proposal=proposal, actor=reviewer,
                counterparty=proposal.group.name,
            )
            draws_record(fund=fund, proposal=proposal, entry=reservation, plan=plan)
        review = BudgetReview.objects.create(
            proposal=proposal, resolution=resolution, reviewer=reviewer, decision=ReviewDecision.APPROVED,
            total=total, requested_share=requested, approved_share=share, reason=note, fund=fund,
            reservation=reservation,
        )
        proposal_transition(
            proposal=proposal, to_status=S.FUNDED, actor=reviewer, kind=EventKind.BUDGET_APPROVED, reason=note,
            amounts={"total": total, "requested_share": requested, "community_share": share,
                     "self_raised_share": total - share},
            data={"review": review.pk, "fund": fund.pk, "reservation": reservation.pk if reservation else None},
        )
    return review


def budget_return(*, proposal: Proposal, reviewer, reason: str) -> BudgetReview:
    """R8: APPROVED -> GROUP_REVIEW. Street-office staff return the budget with a reason.

    Nothing was reserved yet (reservation happens on approval); the group
    council reworks the proposal, which then needs a new resolution, notice and
    community ballot.
    """
    reason = _text(reason, _("退回理由"), 2000)
    with transaction.atomic():
        lock_proposal(proposal)
        _require_street_staff(reviewer, proposal.group.community, _("审核预算"))
        require_status(proposal, S.APPROVED, action=_("退回预算"))
        ballot = passed_community_ballot(proposal)
        resolution = ballot.resolution if ballot else None
        review = BudgetReview.objects.create(
            proposal=proposal, resolution=resolution, reviewer=reviewer, decision=ReviewDecision.RETURNED,
            total=resolution.total if resolution else proposal.total,
            requested_share=resolution.community_share if resolution else proposal.community_share,
            reason=reason,
        )
        proposal_transition(
            proposal=proposal, to_status=S.GROUP_REVIEW, actor=reviewer, kind=EventKind.BUDGET_RETURNED,
            reason=reason, data={"review": review.pk},
        )
    return review


# --------------------------------------------------------------------------- self-raised money (R9)


def contribution_record(
    *, proposal: Proposal, actor, payer: str, amount, receipt_no: str, paid_on,
    payer_kind: str = PayerKind.HOUSEHOLD,
) -> Contribution:
    """R9: a group-council member records money a household or organisation paid.

    Allowed from adoption of the resolution until release (residents raise the
    money while the proposal goes through notice and the community vote), and
    in group review after a budget return. The receipt number is unique within
    the proposal; the total may not exceed the self-raised share.
    """
    payer = _text(payer, _("缴款人"), 100)
    receipt_no = _text(receipt_no, _("收据编号"), 40)
    amount = _to_money(amount, _("缴款金额"))
    paid_on = _to_date(paid_on, _("缴款日期"))
    if payer_kind not in PayerKind.values:
        raise DomainError(_("请选择缴款人类型。"))
    with transaction.atomic():
        lock_proposal(proposal)
        _require_group_member(actor, proposal, _("登记自筹资金"))
        allowed = CONTRIBUTION_STATES + ((S.GROUP_REVIEW,) if proposal.resolutions.exists() else ())
        require_status(proposal, *allowed, action=_("登记自筹资金（决议形成后、资金拨付前可以登记）"))
        if standing_contributions(proposal).filter(receipt_no=receipt_no).exists():
            raise DomainError(_("收据编号 %(no)s 已经登记过了。") % {"no": receipt_no}, code="duplicate_receipt")
        target = self_raised_target(proposal)
        collected = contributions_collected(proposal)
        if collected + amount > target:
            raise DomainError(
                _("自筹应筹 %(target)s 元，已登记 %(collected)s 元，最多还能登记 %(left)s 元。")
                % {"target": money(target), "collected": money(collected), "left": money(max(target - collected, ZERO))},
                code="over_target",
            )
        try:
            with transaction.atomic():
                contribution = Contribution.objects.create(
                    proposal=proposal, payer=payer, payer_kind=payer_kind, amount=amount, receipt_no=receipt_no,
                    paid_on=paid_on, recorded_by=actor,
                )
        except IntegrityError as exc:
            raise DomainError(_("收据编号 %(no)s 已经登记过了。") % {"no": receipt_no}, code="duplicate_receipt") from exc
        event_write(
            proposal=proposal, kind=EventKind.CONTRIBUTION_RECORDED, actor=actor,
            amounts={"amount": amount, "collected": collected + amount, "target": target},
            data={"contribution": contribution.pk, "receipt_no": receipt_no, "paid_on": paid_on.isoformat()},
        )
    return contribution


def contribution_reverse(*, contribution: Contribution, actor, reason: str) -> Contribution:
    """R9: reverse a wrongly recorded contribution (never edit it); the reason is on the record.

    Only before release: released money was counted on these contributions.
    """
    reason = _text(reason, _("冲正理由"), 2000)
    with transaction.atomic():
        proposal = lock_proposal(contribution.proposal)
        _require_group_member(actor, proposal, _("冲正自筹资金"))
        require_status(
            proposal, S.GROUP_REVIEW, *CONTRIBUTION_STATES, action=_("冲正自筹资金（资金拨付后不能冲正）")
        )
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if contribution.reversed_at is not None:
            raise DomainError(_("这笔自筹资金已经冲正过了。"))
        contribution.reversed_at, contribution.reversed_by = timezone.now(), actor
        contribution.reversal_reason = reason
        contribution.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
        event_write(
            proposal=proposal, kind=EventKind.CONTRIBUTION_REVERSED, actor=actor, reason=reason,
            amounts={"amount": -contribution.amount, "collected": contributions_collected(proposal)},
            data={"contribution": contribution.pk, "receipt_no": contribution.receipt_no},
        )
    return contribution


# --------------------------------------------------------------------------- release (R10)


def funds_release(*, proposal: Proposal, actor) -> Proposal:
    """R10: FUNDED -> RELEASED. Street-office staff release the reserved community share.

    Only when R6, R7, R8 and R9 hold and no hold is open (``release_blockers``);
    the refusal names every unmet condition. Writes one RELEASE ledger entry
    (balance and reservation both fall by the share). At most once per
    proposal: the proposal lock serialises clicks and a unique constraint on
    the entry makes a second release impossible.
    """
    with transaction.atomic():
        lock_proposal(proposal)
        _require_street_staff(actor, proposal.group.community, _("拨付资金"))
        blockers = release_blockers(proposal)
        if blockers:
            raise DomainError(_("还不能拨付：") + " ".join(blockers), code="release_blocked")
        review = approved_review(proposal)
        share = review.approved_share
        entry = None
        if share > 0:
            reservation = open_reservation(proposal)
            fund = lock_fund(reservation.fund)
            entry = entry_write(
                fund=fund, kind=EntryKind.RELEASE, balance_delta=-share, reserved_delta=-share, proposal=proposal,
                actor=actor, counterparty=proposal.group.name,
            )
        collected = contributions_collected(proposal)
        proposal_transition(
            proposal=proposal, to_status=S.RELEASED, actor=actor, kind=EventKind.FUNDS_RELEASED,
            amounts={"community_share": share, "self_raised_collected": collected, "total": review.total},
            data={"fund": review.fund_id, "entry": entry.pk if entry else None},
        )
    return proposal


# --------------------------------------------------------------------------- procurement (R12)


def bid_record(*, proposal: Proposal, actor, contractor: str, amount, notes: str = "") -> Bid:
    """R12: a group-council member records one contractor's bid (from the community's approval on)."""
    contractor = _text(contractor, _("施工方名称"), 120)
    amount = _to_money(amount, _("报价"))
    notes = _text(notes, _("说明"), 2000, required=False)
    with transaction.atomic():
        lock_proposal(proposal)
        _require_group_member(actor, proposal, _("登记比选报价"))
        require_status(proposal, *BID_STATES, action=_("登记比选报价"))
        if Bid.objects.filter(proposal=proposal, contractor=contractor).exists():
            raise DomainError(_("已经登记过%(c)s的报价。") % {"c": contractor}, code="duplicate_bid")
        bid = Bid.objects.create(proposal=proposal, contractor=contractor, amount=amount, notes=notes, recorded_by=actor)
        event_write(
            proposal=proposal, kind=EventKind.BID_RECORDED, actor=actor, amounts={"amount": amount},
            data={"bid": bid.pk, "contractor": contractor},
        )
    return bid


def bid_select(*, bid: Bid, actor, panel, reason: str = "") -> Bid:
    """R12: RELEASED -> IN_PROGRESS. The group council chooses a bid with a panel that includes a supervisor.

    Needs at least 3 bids; any but the lowest needs a written reason; a bid
    above the approved total cannot become the contract. Panel members must be
    group-council members, community staff or supervisors in scope.
    """
    reason = _text(reason, _("选定理由"), 2000, required=False)
    panel = list(dict.fromkeys(panel or []))
    tender = tenders.tender_for_proposal(bid.proposal)
    if tender is not None:
        # R24: an open tender's bids count once it has closed and the residents have voted.
        tenders.require_votes_over(tender)
        if tender.closed_at is None:
            tenders.tender_close(tender=tender)
    with transaction.atomic():
        proposal = lock_proposal(bid.proposal)
        bid = Bid.objects.select_for_update().get(pk=bid.pk)
        community = proposal.group.community
        _require_group_member(actor, proposal, _("确定施工方"))
        require_status(proposal, S.RELEASED, action=_("确定施工方（资金拨付后才能确定）"))
        if selected_bid(proposal) is not None:
            raise DomainError(_("已经确定了施工方。"))
        bids = list(Bid.objects.filter(proposal=proposal))
        if len(bids) < MIN_BIDS:
            raise DomainError(
                _("比选至少需要 %(min)d 家报价，目前只有 %(n)d 家。") % {"min": MIN_BIDS, "n": len(bids)},
                code="too_few_bids",
            )
        if not panel:
            raise DomainError(_("请填写比选小组成员。"), code="panel")
        outsiders = [
            u for u in panel
            if not (policies.is_group_council_member(u, proposal.group) or policies.is_supervisor_of(u, community)
                    or policies.is_community_staff(u, community))
        ]
        if outsiders:
            raise DomainError(
                _("比选小组成员应为小组议事会成员、社区工作人员或监督人员：%(names)s 不是。")
                % {"names": "、".join(str(u) for u in outsiders)},
                code="panel",
            )
        if not any(policies.is_supervisor_of(u, community) for u in panel):
            raise DomainError(
                _("比选小组必须有监督人员（监事会成员、廉情监督员或街道纪工委）参加。"), code="panel"
            )
        review = approved_review(proposal)
        if bid.amount > review.total:
            raise DomainError(
                _("%(c)s的报价 %(amount)s 元超过核定总预算 %(total)s 元，不能签约。")
                % {"c": bid.contractor, "amount": money(bid.amount), "total": money(review.total)},
                code="over_total",
            )
        lowest = min(b.amount for b in bids)
        most_voted = tenders.most_voted_ids(tender) if tender is not None else set()
        if tender is not None and bid.amount > lowest and bid.tender_bid_id not in most_voted and not reason:
            raise DomainError(
                _("所选报价 %(amount)s 元既不是最低价（%(lowest)s 元），也不是居民得票最多的，请写明选择理由。")
                % {"amount": money(bid.amount), "lowest": money(lowest)},
                code="reason_required",
            )
        if tender is None and bid.amount > lowest and not reason:
            cheapest = next(b for b in bids if b.amount == lowest)
            raise DomainError(
                _("所选报价 %(amount)s 元不是最低价（%(c)s 报价 %(lowest)s 元），请写明选择理由。")
                % {"amount": money(bid.amount), "c": cheapest.contractor, "lowest": money(lowest)},
                code="reason_required",
            )
        bid.selected_at, bid.selected_by, bid.selection_reason = timezone.now(), actor, reason
        bid.save(update_fields=["selected_at", "selected_by", "selection_reason"])
        bid.panel.set(panel)
        if bid.tender_bid_id:
            TenderBid.objects.filter(pk=bid.tender_bid_id).update(selected_at=bid.selected_at)
        proposal_transition(
            proposal=proposal, to_status=S.IN_PROGRESS, actor=actor, kind=EventKind.BID_SELECTED, reason=reason,
            amounts={"contract": bid.amount, "lowest": lowest, "approved_total": review.total},
            data={"bid": bid.pk, "contractor": bid.contractor, "bids": len(bids), "panel": [u.pk for u in panel]},
        )
    return bid


# --------------------------------------------------------------------------- acceptance and settlement (R13)


def acceptance_record(
    *, proposal: Proposal, actor, passed: bool, satisfaction: str, notes: str = "", supervisor=None,
    party_member=None,
) -> Acceptance:
    """R13 and R23: the group council records acceptance with a supervisor and a party-organisation member present.

    ``supervisor``: the supervisor present. When not given, the supervisor on
    the procurement panel (still in office) is taken as present; when there is
    none, the acceptance is refused. ``party_member``: the member of the
    community party organisation present (党组织评议验收). When not given: one on
    the procurement panel, else the recording member themself when they hold a
    party post, else the community's only party-organisation member; with
    none (or several and none named) the acceptance is refused. Passed: IN_PROGRESS -> ACCEPTED. Not
    passed: recorded, the proposal stays IN_PROGRESS for the contractor to fix
    and a new acceptance.
    """
    if satisfaction not in Satisfaction.values:
        raise DomainError(_("请选择居民满意度：满意、基本满意或不满意。"))
    passed = bool(passed)
    notes = _text(notes, _("验收意见"), 4000, required=not passed)
    with transaction.atomic():
        lock_proposal(proposal)
        community = proposal.group.community
        _require_group_member(actor, proposal, _("登记验收"))
        require_status(proposal, S.IN_PROGRESS, action=_("验收（确定施工方后才能验收）"))
        if supervisor is None:
            bid = selected_bid(proposal)
            panel = list(bid.panel.all()) if bid else []
            supervisor = next((u for u in panel if policies.is_supervisor_of(u, community)), None)
            if supervisor is None:
                raise DomainError(_("验收需要监督人员到场，请注明到场的监督人员。"), code="supervisor")
        elif not policies.is_supervisor_of(supervisor, community):
            raise DomainError(
                _("%(name)s不是本社区或本街道的监督人员，验收需要监督人员到场。") % {"name": supervisor},
                code="supervisor",
            )
        party_member = _party_member_present(proposal, community, actor, party_member)
        acceptance = Acceptance.objects.create(
            proposal=proposal, passed=passed, satisfaction=satisfaction, notes=notes, recorded_by=actor,
            supervisor=supervisor, party_member=party_member,
        )
        data = {"acceptance": acceptance.pk, "passed": passed, "satisfaction": satisfaction,
                "supervisor": supervisor.pk, "party_member": party_member.pk}
        if passed:
            proposal_transition(
                proposal=proposal, to_status=S.ACCEPTED, actor=actor, kind=EventKind.ACCEPTANCE_RECORDED,
                reason=notes, data=data,
            )
        else:
            event_write(proposal=proposal, kind=EventKind.ACCEPTANCE_RECORDED, actor=actor, reason=notes, data=data)
    return acceptance


def _party_member_present(proposal: Proposal, community: Community, actor, party_member):
    """R23: who of the community party organisation is present at acceptance (see ``acceptance_record``)."""
    if party_member is not None:
        if not policies.is_party_member(party_member, community):
            raise DomainError(
                _("%(name)s不是%(community)s党组织成员，验收需要社区党组织成员到场牵头。")
                % {"name": party_member, "community": community.name},
                code="party_member",
            )
        return party_member
    bid = selected_bid(proposal)
    for user in (bid.panel.all() if bid else []):
        if policies.is_party_member(user, community):
            return user
    if policies.is_party_member(actor, community):
        return actor
    members = list(policies.party_members(community)[:2])
    if len(members) == 1:
        return members[0]
    if not members:
        raise DomainError(
            _("验收需要社区党组织成员到场牵头，%(community)s还没有党组织成员，请先请街道办任命。")
            % {"community": community.name},
            code="party_member",
        )
    raise DomainError(_("验收需要社区党组织成员到场牵头，请注明到场的党组织成员。"), code="party_member")


def settlement_record(*, proposal: Proposal, actor, actual_cost) -> Settlement:
    """R13: ACCEPTED -> SETTLED. The actual cost is entered and the savings go back.

    Refused while a hold is open (R11) or when the cost is above the approved
    total. Savings = approved total − actual cost, split by ``savings_split``;
    the community part returns to the fund as a SAVINGS_RETURN entry; what
    residents paid beyond their part of the cost is refundable, split over the
    standing contributions by ``pro_rata`` (one ``Refund`` each). Entered by a
    group-council member or street-office staff.
    """
    cost = _to_money(actual_cost, _("实际支出"))
    with transaction.atomic():
        lock_proposal(proposal)
        community = proposal.group.community
        if not (policies.is_group_council_member(actor, proposal.group)
                or policies.is_street_staff(actor, community.subdistrict)):
            raise PermissionDenied(_("只有小组议事会成员或街道办工作人员可以登记决算。"))
        blockers = settlement_blockers(proposal)
        if blockers:
            raise DomainError(_("还不能决算：") + " ".join(blockers), code="settlement_blocked")
        review = approved_review(proposal)
        total, share = review.total, review.approved_share
        self_share = total - share
        if cost > total:
            raise DomainError(
                _("实际支出 %(cost)s 元超过核定总预算 %(total)s 元。")
                % {"cost": money(cost), "total": money(total)},
                code="over_total",
            )
        savings = total - cost
        community_part, residents_part = savings_split(savings=savings, community_share=share, total=total)
        contributions = list(standing_contributions(proposal).order_by("recorded_at", "pk"))
        collected = sum((c.amount for c in contributions), ZERO)
        # Residents paid ``collected``; their part of the cost is their share less their part of the savings.
        refundable = collected - (self_share - residents_part)
        if refundable < 0:  # cannot happen after R9 held at release; refuse rather than book a debt
            raise DomainError(_("登记的自筹资金少于居民应承担的费用，请先核对自筹资金。"))
        entry = None
        if community_part > 0:
            fund = lock_fund(review.fund)
            entry = entry_write(
                fund=fund, kind=EntryKind.SAVINGS_RETURN, balance_delta=community_part, proposal=proposal,
                actor=actor, counterparty=proposal.group.name,
            )
            give_back_draws(fund=fund, proposal=proposal, entry=entry, amount=community_part)
        settlement = Settlement.objects.create(
            proposal=proposal, fund=review.fund, bid=selected_bid(proposal), approved_total=total,
            community_share=share, self_raised_share=self_share, contributions_collected=collected,
            actual_cost=cost, savings=savings, community_savings=community_part, residents_savings=residents_part,
            refundable_total=refundable, savings_entry=entry, recorded_by=actor,
        )
        parts = pro_rata(refundable, [c.amount for c in contributions])
        Refund.objects.bulk_create([
            Refund(contribution=c, settlement=settlement, cause=RefundCause.SAVINGS, amount=part)
            for c, part in zip(contributions, parts, strict=True) if part > 0
        ])
        proposal_transition(
            proposal=proposal, to_status=S.SETTLED, actor=actor, kind=EventKind.SETTLED,
            amounts={"approved_total": total, "actual_cost": cost, "savings": savings,
                     "returned_to_fund": community_part, "residents_savings": residents_part,
                     "refundable": refundable},
            data={"settlement": settlement.pk, "fund": review.fund_id, "entry": entry.pk if entry else None},
        )
    return settlement


def refund_pay(*, refund: Refund, actor, paid_on) -> Refund:
    """Record that a refund was paid back to its contributor (group council or community staff)."""
    paid_on = _to_date(paid_on, _("退款日期"))
    with transaction.atomic():
        proposal = lock_proposal(refund.contribution.proposal)
        if not (policies.is_group_council_member(actor, proposal.group)
                or policies.is_community_staff(actor, proposal.group.community)):
            raise PermissionDenied(_("只有小组议事会成员或社区工作人员可以登记退款。"))
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.paid_on is not None:
            raise DomainError(_("这笔退款已经登记为已退。"))
        refund.paid_on, refund.paid_recorded_by = paid_on, actor
        refund.save(update_fields=["paid_on", "paid_recorded_by"])
    return refund


# --------------------------------------------------------------------------- hooks from proposals


def on_proposal_transition(*, proposal: Proposal, from_status: str, to_status: str, actor) -> None:
    """Registered with ``proposals.hooks``; runs inside the transition, the proposal already locked.

    Leaving the money path before release (withdrawal) cancels the open
    reservation, so the fund's available amount comes back; a withdrawn
    proposal's standing contributions become refundable in full.
    """
    if to_status not in (S.WITHDRAWN, S.GROUP_REVIEW):
        return
    reservation = open_reservation(proposal)
    if reservation is not None:
        fund = lock_fund(reservation.fund)
        cancel = entry_write(
            fund=fund, kind=EntryKind.RESERVATION_CANCEL, reserved_delta=-reservation.reserved_delta,
            proposal=proposal, actor=actor, counterparty=proposal.group.name,
            memo=_("取消预留：%(title)s（%(status)s）") % {"title": proposal.title, "status": S(to_status).label},
        )
        give_back_draws(fund=fund, proposal=proposal, entry=cancel)
    if to_status == S.WITHDRAWN:
        Refund.objects.bulk_create([
            Refund(contribution=c, cause=RefundCause.WITHDRAWAL, amount=c.amount)
            for c in standing_contributions(proposal).filter(refund__isnull=True)
        ])


# R21: the foundation's services live in their own module; imported here (after the helpers they use)
# so that ``funding.services.donation_record`` is the public name.
from .foundation import donation_record, donation_reverse, draw_plan, draws_record, give_back_draws  # noqa: E402

# R24: open tenders, in their own module; re-exported so that ``funding.services.tender_publish`` is the public name.
from . import tenders  # noqa: E402
from .tenders import bidder_vote, tender_bid, tender_close, tender_publish, tender_select  # noqa: E402

__all__ = [
    "acceptance_record",
    "bidder_vote",
    "tender_bid",
    "tender_close",
    "tender_publish",
    "tender_select",
    "donation_record",
    "donation_reverse",
    "bid_record",
    "bid_select",
    "budget_approve",
    "budget_return",
    "contribution_record",
    "contribution_reverse",
    "fund_allocate",
    "fund_create",
    "fund_donate",
    "funds_release",
    "ledger_correct",
    "pro_rata",
    "refund_pay",
    "savings_split",
    "settlement_record",
]


# --------------------------------------------------------------------------- performance evaluation (R26), in funding.evaluation

from .evaluation import evaluation_record, evaluator_appoint, evaluator_end  # noqa: E402,F401
