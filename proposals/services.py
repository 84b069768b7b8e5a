"""Every state change of a proposal (R1, R3–R7, R11, R14).

Each public function is one arrow of the life of a proposal (docs/domain.md): one
transaction, the proposal re-read under a row lock, every precondition checked
again under the lock, the state changed, one ``ProposalEvent`` written. A
refusal raises ``DomainError`` with a sentence a person can act on and changes
nothing. Lock order everywhere: proposal, then ballot.
"""

import hashlib
import unicodedata
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from councils import policies
from councils.models import Council, Meeting, ResidentGroup, User
from yishi.chain import canonical
from yishi.errors import DomainError, InvalidTransition, PermissionDenied
from yishi.text import LINE_MAX, check_text

from . import hooks
from .enums import (
    BEFORE_RELEASE,
    EDITABLE,
    TRANSITIONS,
    BallotKind,
    BallotOutcome,
    Category,
    EventKind,
    ProposalStatus,
    ProxyReason,
    VoteChoice,
)
from .history import VOTE_FIELDS, electors_digest, event_write, lock_proposal, votes_digest
from .models import (
    MAX_OBJECTIONS_PER_NOTICE,
    MONEY_CEILING,
    AgendaItem,
    Ballot,
    BallotElector,
    BudgetLine,
    Hold,
    Notice,
    Objection,
    Opinion,
    Proposal,
    Rating,
    Resolution,
    RoadshowQuestion,
    Vote,
)
from .thresholds import COMMUNITY_TWO_THIRDS, GROUP_MAJORITY, Threshold

S = ProposalStatus
CENT = Decimal("0.01")
MAX_LINES = 50
MAX_QUANTITY = Decimal("1000000")
MIN_GROUP_COUNCIL = 3  # R2


# --------------------------------------------------------------------------- helpers


def _local(at: datetime) -> str:
    return date_format(timezone.localtime(at), "DATETIME_FORMAT")


def _duration(delta: timedelta) -> str:
    """A human length of time: "2 天 3 小时", "45 分钟"."""
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = max(rest // 60, 1 if not (days or hours) else 0)
    parts = []
    if days:
        parts.append(ngettext("%(n)d 天", "%(n)d 天", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d 小时", "%(n)d 小时", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d 分钟", "%(n)d 分钟", minutes) % {"n": minutes})
    return " ".join(parts)


def _money(value) -> str:
    return f"{Decimal(value):,.2f}"


def _require_text(value: str, what: str, max_length: int) -> str:
    # Names and titles are single lines; longer texts may have paragraphs (yishi/text.py).
    return check_text(value, what, max_length, multiline=max_length > LINE_MAX)


def _to_money(value, what: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("%(what)s必须是数字。") % {"what": what}) from exc
    if not amount.is_finite():
        raise DomainError(_("%(what)s必须是数字。") % {"what": what})
    # Checked before quantize(): a huge value (1e30) would overflow the context there.
    if abs(amount) > MONEY_CEILING:
        raise DomainError(_("%(what)s不能超过 1000 万元。") % {"what": what})
    if amount != amount.quantize(CENT):
        raise DomainError(_("%(what)s最多保留两位小数（分）。") % {"what": what})
    return amount.quantize(CENT)


def clean_lines(lines) -> list[tuple[str, Decimal, str, Decimal]]:
    """R3: validate budget lines ``(item, quantity, unit, unit_price)``."""
    lines = list(lines or [])
    if not lines:
        raise DomainError(_("请至少填写一项预算明细。"))
    if len(lines) > MAX_LINES:
        raise DomainError(_("预算明细不能超过 %(n)d 项。") % {"n": MAX_LINES})
    cleaned = []
    for number, line in enumerate(lines, start=1):
        try:
            item, quantity, unit, unit_price = line
        except (TypeError, ValueError) as exc:
            raise DomainError(_("第 %(n)d 项预算明细不完整。") % {"n": number}) from exc
        item = _require_text(item, _("第 %(n)d 项的项目名称") % {"n": number}, 120)
        unit = _require_text(unit, _("第 %(n)d 项的单位") % {"n": number}, 20)
        try:
            quantity = Decimal(str(quantity).strip())
        except (InvalidOperation, ValueError) as exc:
            raise DomainError(_("第 %(n)d 项的数量必须是数字。") % {"n": number}) from exc
        if not quantity.is_finite() or quantity <= 0 or quantity > MAX_QUANTITY:
            raise DomainError(_("第 %(n)d 项的数量必须大于 0 且不超过 1,000,000。") % {"n": number})
        if quantity != quantity.quantize(CENT):
            raise DomainError(_("第 %(n)d 项的数量最多保留两位小数。") % {"n": number})
        unit_price = _to_money(unit_price, _("第 %(n)d 项的单价") % {"n": number})
        if unit_price <= 0 or unit_price > MONEY_CEILING:
            raise DomainError(_("第 %(n)d 项的单价必须大于 0 元且不超过 1000 万元。") % {"n": number})
        cleaned.append((item, quantity.quantize(CENT), unit, unit_price))
    return cleaned


def lines_total(lines) -> Decimal:
    """R3: the total is the sum of the line amounts, each rounded to the fen (四舍五入)."""
    return sum(((q * p).quantize(CENT, rounding=ROUND_HALF_UP) for _i, q, _u, p in lines), Decimal("0.00"))


def check_shares(*, total: Decimal, community_share, community) -> Decimal:
    """R3: the community share is money, within the total and within the fund's cap."""
    share = _to_money(community_share, _("申请公服资金"))
    if total <= 0:
        raise DomainError(_("总预算必须大于 0 元。"))
    if total > MONEY_CEILING:
        raise DomainError(
            _("总预算 %(total)s 元超过了单个项目 1000 万元的上限。") % {"total": _money(total)}
        )
    if share < 0:
        raise DomainError(_("申请公服资金不能是负数。"))
    if share > total:
        raise DomainError(_("申请公服资金不能超过总预算。"))
    cap = hooks.share_cap(community)
    if Fraction(share) > cap * Fraction(total):
        limit = (Decimal(cap.numerator) * total / Decimal(cap.denominator)).quantize(CENT, rounding=ROUND_FLOOR)
        pct = (Decimal(cap.numerator) * 100 / Decimal(cap.denominator)).quantize(CENT).normalize()
        raise DomainError(
            _(
                "申请公服资金最多为总预算的 %(pct)s%%，即 %(limit)s 元；其余 %(rest)s 元需要居民自筹。"
            )
            % {
                "pct": format(pct, "f"),
                "limit": _money(limit),
                "rest": _money(total - limit),
            }
        )
    return share


def content_of(*, title, text, category, lines, total, community_share) -> dict:
    """What a resolution freezes, and what its hash covers."""
    return {
        "title": title,
        "text": text,
        "category": category,
        "budget": [
            {"item": i, "quantity": format(q, "f"), "unit": u, "unit_price": format(p, "f")}
            for i, q, u, p in lines
        ],
        "total": format(Decimal(total).quantize(CENT), "f"),
        "community_share": format(Decimal(community_share).quantize(CENT), "f"),
    }


def proposal_content(proposal: Proposal) -> dict:
    lines = [(b.item, b.quantity, b.unit, b.unit_price) for b in proposal.lines.order_by("position")]
    return content_of(
        title=proposal.title, text=proposal.summary, category=proposal.category, lines=lines,
        total=proposal.total, community_share=proposal.community_share,
    )


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical(content).encode()).hexdigest()


def proposal_transition(
    *, proposal: Proposal, to_status: str, actor, kind: str, reason: str = "", amounts=None,
    data=None, on_behalf_of=None,
):
    """Move a locked proposal along one arrow of the table and write its event.

    Call inside ``transaction.atomic`` after ``lock_proposal``. The funding app
    moves the money states through here too.
    """
    from_status = proposal.status
    if to_status not in TRANSITIONS.get(from_status, set()):
        raise InvalidTransition(
            _("议案当前状态为“%(from)s”，不能变为“%(to)s”。")
            % {"from": S(from_status).label, "to": S(to_status).label}
        )
    proposal.status = to_status
    proposal.updated_at = timezone.now()
    proposal.save(update_fields=["status", "updated_at"])
    if to_status == S.GROUP_REVIEW and from_status != S.DRAFT:
        # R5: sent back (objection upheld, budget returned), the next resolution
        # needs a new, full notice; an earlier notice no longer counts.
        Notice.objects.filter(proposal=proposal, voided_at__isnull=True).update(voided_at=proposal.updated_at)
    hooks.run_transition_hooks(proposal=proposal, from_status=from_status, to_status=to_status, actor=actor)
    return event_write(
        proposal=proposal, kind=kind, actor=actor, on_behalf_of=on_behalf_of, from_status=from_status,
        to_status=to_status, reason=reason, amounts=amounts, data=data,
    )


def require_status(proposal: Proposal, *allowed: str, action: str) -> None:
    """Refuse (InvalidTransition, naming the current status) unless the proposal is in ``allowed``."""
    if proposal.status not in allowed:
        raise InvalidTransition(
            _("议案当前状态为“%(status)s”，不能%(action)s。")
            % {"status": proposal.get_status_display(), "action": action}
        )


def _require_group_member(user, proposal: Proposal, action: str) -> None:
    if not policies.is_group_council_member(user, proposal.group):
        raise PermissionDenied(
            _("只有%(group)s议事会成员可以%(action)s。") % {"group": proposal.group.name, "action": action}
        )


def _open_ballot(proposal: Proposal, kind: str | None = None) -> Ballot | None:
    qs = proposal.ballots.filter(closed_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.first()


def _refuse_if_ballot_open(proposal: Proposal, action: str) -> None:
    if _open_ballot(proposal) is not None:
        raise DomainError(_("表决正在进行，不能%(action)s。请等待表决结束。") % {"action": action})


# --------------------------------------------------------------------------- drafting


def _write_lines(proposal: Proposal, lines) -> None:
    proposal.lines.all().delete()
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(proposal=proposal, position=n, item=i, quantity=q, unit=u, unit_price=p)
            for n, (i, q, u, p) in enumerate(lines, start=1)
        ]
    )


def _clean_category(category, community) -> str:
    category = category or Category.OTHER
    if category not in Category.values:
        raise DomainError(_("请选择议案类别。"))
    # R8's negative list, refused at drafting rather than after a week of notice and a vote.
    if category in hooks.negative_list(community):
        raise DomainError(
            _("“%(category)s”不在公服资金的使用范围内，不能作为议案提出。这类事项请向物业或有关部门反映。")
            % {"category": Category(category).label},
            code="category",
        )
    return category


def proposal_create(
    *, author: User, group: ResidentGroup, title: str, summary: str, lines, community_share,
    category: str | None = None, entered_by: User | None = None,
) -> Proposal:
    """A verified resident (R1) drafts a proposal with budget lines (R3).

    A member of the community party organisation may author one for any group of
    the community (R23): the proposal is marked ``by_party`` (党组织提议).

    ``entered_by``: community staff entering it for a resident without a phone;
    the event records staff as actor, on behalf of the author.
    """
    if entered_by is not None:
        if not policies.is_community_staff(entered_by, group.community):
            raise PermissionDenied(_("只有本社区的工作人员可以代居民录入议案。"))
    # R23: a post of the community party organisation may propose for any of its groups (党组织提议).
    by_party = policies.is_party_member(author, group.community)
    if not (by_party or policies.is_resident_of(author, group)):
        raise PermissionDenied(
            _("只有%(group)s的核实居民或社区党组织成员可以提出议案。请先请社区工作人员核实居住信息。")
            % {"group": group.name}
        )
    title = _require_text(title, _("标题"), 120)
    summary = _require_text(summary, _("议案内容"), 5000)
    category = _clean_category(category, group.community)
    lines = clean_lines(lines)
    total = lines_total(lines)
    share = check_shares(total=total, community_share=community_share, community=group.community)
    with transaction.atomic():
        proposal = Proposal.objects.create(
            group=group, author=author, entered_by=entered_by, title=title, summary=summary,
            category=category, total=total, community_share=share, by_party=by_party,
        )
        _write_lines(proposal, lines)
        proposal.followers.add(author)
        event_write(
            proposal=proposal, kind=EventKind.CREATED, actor=entered_by or author,
            on_behalf_of=author if entered_by else None, to_status=S.DRAFT,
            amounts={"total": total, "community_share": share},
            data={"by_party": True} if by_party else None,
        )
    return proposal


def proposal_update(
    *, proposal: Proposal, actor: User, title: str, summary: str, lines, community_share,
    category: str | None = None,
) -> Proposal:
    """Edit text and budget while the proposal is a draft or in group review.

    The author edits a draft; in group review the author or a group-council
    member edits it (not while a group ballot is open). Every edit bumps the
    revision, so an earlier resolution no longer matches (R4).
    """
    title = _require_text(title, _("标题"), 120)
    summary = _require_text(summary, _("议案内容"), 5000)
    category = _clean_category(category, proposal.group.community)
    lines = clean_lines(lines)
    total = lines_total(lines)
    share = check_shares(total=total, community_share=community_share, community=proposal.group.community)
    with transaction.atomic():
        lock_proposal(proposal)
        require_status(proposal, *EDITABLE, action=_("修改"))
        is_author = actor.pk in (proposal.author_id, proposal.entered_by_id)
        if not (is_author or (proposal.status == S.GROUP_REVIEW and policies.is_group_council_member(actor, proposal.group))):
            raise PermissionDenied(_("只有提议人或小组议事会成员可以修改这个议案。"))
        _refuse_if_ballot_open(proposal, _("修改议案"))
        proposal.title, proposal.summary, proposal.category = title, summary, category
        proposal.total, proposal.community_share = total, share
        proposal.revision += 1
        proposal.updated_at = timezone.now()
        proposal.save()
        _write_lines(proposal, lines)
        event_write(
            proposal=proposal, kind=EventKind.EDITED, actor=actor, data={"revision": proposal.revision},
            amounts={"total": total, "community_share": share},
        )
    return proposal


def proposal_submit(*, proposal: Proposal, actor: User) -> Proposal:
    """DRAFT -> GROUP_REVIEW: the author hands the draft to the group council."""
    with transaction.atomic():
        lock_proposal(proposal)
        if actor.pk not in (proposal.author_id, proposal.entered_by_id):
            raise PermissionDenied(_("只有提议人可以提交这个议案。"))
        require_status(proposal, S.DRAFT, action=_("提交小组议事"))
        proposal_transition(proposal=proposal, to_status=S.GROUP_REVIEW, actor=actor, kind=EventKind.SUBMITTED)
    return proposal


def proposal_return(*, proposal: Proposal, actor: User, reason: str) -> Proposal:
    """GROUP_REVIEW -> DRAFT: the group council returns the draft to its author with a reason."""
    reason = _require_text(reason, _("退回理由"), 2000)
    with transaction.atomic():
        lock_proposal(proposal)
        _require_group_member(actor, proposal, _("退回议案"))
        require_status(proposal, S.GROUP_REVIEW, action=_("退回"))
        _refuse_if_ballot_open(proposal, _("退回议案"))
        proposal_transition(
            proposal=proposal, to_status=S.DRAFT, actor=actor, kind=EventKind.RETURNED, reason=reason
        )
    return proposal


def proposal_withdraw(*, proposal: Proposal, actor: User, reason: str) -> Proposal:
    """Any state before RELEASED -> WITHDRAWN, by the author or the group council, with a reason.

    Refused while a ballot is open: every member keeps the right to be on the record.
    """
    reason = _require_text(reason, _("撤回理由"), 2000)
    with transaction.atomic():
        lock_proposal(proposal)
        if not (
            actor.pk in (proposal.author_id, proposal.entered_by_id)
            or policies.is_group_council_member(actor, proposal.group)
        ):
            raise PermissionDenied(_("只有提议人或小组议事会成员可以撤回议案。"))
        require_status(proposal, *BEFORE_RELEASE, action=_("撤回（资金拨付后不能撤回）"))
        _refuse_if_ballot_open(proposal, _("撤回议案"))
        proposal_transition(
            proposal=proposal, to_status=S.WITHDRAWN, actor=actor, kind=EventKind.WITHDRAWN, reason=reason
        )
    return proposal


def proposal_follow(*, proposal: Proposal, user: User, follow: bool = True) -> Proposal:
    """Follow (or stop following) a proposal to be told of its steps."""
    if follow:
        proposal.followers.add(user)
    else:
        proposal.followers.remove(user)
    return proposal


# --------------------------------------------------------------------------- ballots


def _check_closes_at(closes_at: datetime, opened_at: datetime) -> None:
    if closes_at is None or timezone.is_naive(closes_at):
        raise DomainError(_("请填写表决截止时间。"))
    if closes_at <= opened_at + timedelta(minutes=5):
        raise DomainError(_("表决截止时间必须晚于现在至少 5 分钟。"))
    if closes_at > opened_at + timedelta(days=60):
        raise DomainError(_("表决时间不能超过 60 天。"))


def _ballot_open(
    *, proposal: Proposal, council: Council, kind: str, threshold: Threshold, actor: User,
    closes_at: datetime, resolution: Resolution | None, now: datetime,
) -> Ballot:
    electors = list(policies.seated_members(council, now))
    ballot = Ballot.objects.create(
        proposal=proposal, kind=kind, council=council, resolution=resolution,
        proposal_revision=proposal.revision, threshold_numerator=threshold.numerator,
        threshold_denominator=threshold.denominator, threshold_base=threshold.base,
        threshold_inclusive=threshold.inclusive, electorate_size=len(electors), opened_by=actor,
        opened_at=now, closes_at=closes_at,
    )
    BallotElector.objects.bulk_create([BallotElector(ballot=ballot, user=u) for u in electors])
    # The opening event records who may vote, so a changed roll or electorate_size is seen (R14).
    ballot.electors_digest = electors_digest(u.pk for u in electors)
    return ballot


def group_ballot_open(*, proposal: Proposal, actor: User, closes_at: datetime) -> Ballot:
    """R4: the group council opens a ballot on the proposal as it stands.

    Needs at least 3 seated members (R2); the electorate is frozen now.
    """
    now = timezone.now()
    _check_closes_at(closes_at, now)
    with transaction.atomic():
        lock_proposal(proposal)
        _require_group_member(actor, proposal, _("发起小组表决"))
        require_status(proposal, S.GROUP_REVIEW, action=_("发起小组表决"))
        _refuse_if_ballot_open(proposal, _("再发起表决"))
        council = policies.group_council(proposal.group)
        seated = policies.seated_members(council, now).count() if council else 0
        if seated < MIN_GROUP_COUNCIL:
            raise DomainError(
                _("居民小组议事会至少要有 %(min)d 名在任成员才能表决，目前只有 %(n)d 名。")
                % {"min": MIN_GROUP_COUNCIL, "n": seated}
            )
        # R3: the fund's cap may have changed since drafting; the resolution must respect it.
        check_shares(total=proposal.total, community_share=proposal.community_share, community=proposal.group.community)
        ballot = _ballot_open(
            proposal=proposal, council=council, kind=BallotKind.GROUP, threshold=GROUP_MAJORITY,
            actor=actor, closes_at=closes_at, resolution=None, now=now,
        )
        event_write(
            proposal=proposal, kind=EventKind.BALLOT_OPENED, actor=actor,
            data={"ballot": ballot.pk, "kind": ballot.kind, "electorate": ballot.electorate_size,
                  "electors": ballot.electors_digest, "closes_at": closes_at.isoformat()},
        )
    return ballot


def current_notice(proposal: Proposal) -> Notice | None:
    """The latest notice of the proposal that has not been voided."""
    return (
        proposal.notices.filter(voided_at__isnull=True).select_related("resolution").order_by("-published_at").first()
    )


def community_ballot_open(*, proposal: Proposal, actor: User, closes_at: datetime) -> Ballot:
    """R7: community staff open the community council's ballot on the noticed resolution."""
    now = timezone.now()
    _check_closes_at(closes_at, now)
    community = proposal.group.community
    if not policies.is_community_staff(actor, community):
        raise PermissionDenied(_("只有本社区的工作人员可以发起社区表决。"))
    with transaction.atomic():
        lock_proposal(proposal)
        require_status(proposal, S.SUBMITTED, action=_("发起社区表决"))
        council = policies.community_council(community)
        seated = policies.seated_members(council, now).count() if council else 0
        if seated < 3:
            raise DomainError(_("社区议事会在任成员不足 3 人，不能表决。"))
        notice = current_notice(proposal)
        if notice is None:
            raise DomainError(_("议案没有有效的公示，不能发起社区表决。请先重新公示决议。"))
        if content_hash(proposal_content(proposal)) != notice.resolution.content_hash:
            # R6: only the noticed resolution goes to the community.
            raise DomainError(_("议案内容与公示的决议不一致，不能发起社区表决。需要重新表决和公示。"))
        ballot = _ballot_open(
            proposal=proposal, council=council, kind=BallotKind.COMMUNITY, threshold=COMMUNITY_TWO_THIRDS,
            actor=actor, closes_at=closes_at, resolution=notice.resolution, now=now,
        )
        proposal_transition(
            proposal=proposal, to_status=S.COMMUNITY_VOTE, actor=actor, kind=EventKind.BALLOT_OPENED,
            data={"ballot": ballot.pk, "kind": ballot.kind, "electorate": ballot.electorate_size,
                  "electors": ballot.electors_digest, "closes_at": closes_at.isoformat(),
                  "resolution": notice.resolution_id},
        )
    return ballot


def ballot_threshold(ballot: Ballot) -> Threshold:
    return Threshold(
        ballot.threshold_numerator, ballot.threshold_denominator, ballot.threshold_base,
        ballot.threshold_inclusive,
    )


def ballot_tally(ballot: Ballot) -> dict:
    """Counts so far (or as fixed at close), the approvals needed, and whether it can still change."""
    if ballot.closed_at is not None:
        counts = {
            VoteChoice.APPROVE: ballot.approve_count,
            VoteChoice.OPPOSE: ballot.oppose_count,
            VoteChoice.ABSTAIN: ballot.abstain_count,
        }
    else:
        rows = ballot.votes.values("choice").annotate(n=Count("pk"))
        counts = {c: 0 for c in VoteChoice.values}
        counts.update({r["choice"]: r["n"] for r in rows})
    threshold = ballot_threshold(ballot)
    cast = sum(counts.values())
    needed = threshold.approvals_needed(electorate=ballot.electorate_size, votes_cast=cast)
    approve = counts[VoteChoice.APPROVE]
    remaining = ballot.electorate_size - cast
    return {
        "approve": approve,
        "oppose": counts[VoteChoice.OPPOSE],
        "abstain": counts[VoteChoice.ABSTAIN],
        "cast": cast,
        "remaining": remaining,
        "electorate": ballot.electorate_size,
        "needed": needed,
        "passes_now": threshold.passes(approve=approve, electorate=ballot.electorate_size, votes_cast=cast),
        # Decided: passing already, or cannot reach the bar even if every remaining elector approves.
        "decided": approve >= needed or approve + remaining < needed,
    }


def _lock_ballot(ballot: Ballot) -> Ballot:
    ballot.refresh_from_db(from_queryset=Ballot.objects.select_for_update())
    return ballot


def vote_cast(
    *, ballot: Ballot, voter: User, choice: str, recorded_by: User | None = None,
    proxy_reason: str = "", proxy_detail: str = "",
) -> Vote:
    """R7: an elector votes once; final once cast; nothing after ``closes_at``.

    The vote that completes the electorate closes the ballot. ``recorded_by``:
    community staff entering the vote of a member, who must say why
    (``proxy_reason``: the member asked, a paper ballot, a meeting; ``proxy_detail``:
    who asked and how, the ballot paper's number, which meeting). A member who has
    voted, online or otherwise, cannot be voted for again.
    """
    if choice not in VoteChoice.values:
        raise DomainError(_("请选择赞成、反对或弃权。"))
    if recorded_by is not None:
        if proxy_reason not in ProxyReason.values:
            raise DomainError(_("代录表决必须说明依据：成员本人委托、纸质表决票或会议现场表决。"))
        proxy_detail = check_text(proxy_detail, _("代录说明（委托方式、表决票编号或会议）"), 200)
    else:
        proxy_reason, proxy_detail = "", ""
    now = timezone.now()
    with transaction.atomic():
        proposal = lock_proposal(ballot.proposal)
        _lock_ballot(ballot)
        if recorded_by is not None and not policies.is_community_staff(recorded_by, proposal.group.community):
            raise PermissionDenied(_("只有本社区的工作人员可以代为录入表决。"))
        if ballot.closed_at is not None:
            raise DomainError(_("这次表决已经结束，不能再投票。"))
        if now >= ballot.closes_at:
            raise DomainError(_("表决已于 %(at)s 截止，不能再投票。") % {"at": _local(ballot.closes_at)})
        if not ballot.electors.filter(user=voter).exists():
            raise PermissionDenied(
                _("您不在这次表决的表决人名单中：名单在表决开始时按当时在任的成员确定。")
            )
        def already() -> DomainError:
            if recorded_by is not None:
                return DomainError(_("这位成员已经投过票，投出后不能更改，也不能代录。"))
            return DomainError(_("您已经投过票了，每人只能投一次，投出后不能更改。"))

        if ballot.votes.filter(voter=voter).exists():
            raise already()
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    ballot=ballot, voter=voter, choice=choice, cast_at=now, recorded_by=recorded_by,
                    proxy_reason=proxy_reason, proxy_detail=proxy_detail,
                )
        except IntegrityError as exc:
            raise already() from exc
        if ballot.votes.count() >= ballot.electorate_size:
            _close_locked(proposal, ballot, actor=None, now=now)
    return vote


def ballot_close(*, ballot: Ballot, actor: User | None = None) -> Ballot:
    """Close a ballot and fix its outcome. Idempotent: closing a closed ballot returns it.

    Without an actor (the system) it closes only a ballot that is due or complete.
    Staff (community ballots) or group-council members (group ballots) may close
    early only when the outcome can no longer change.
    """
    now = timezone.now()
    with transaction.atomic():
        proposal = lock_proposal(ballot.proposal)
        _lock_ballot(ballot)
        if ballot.closed_at is not None:
            return ballot
        tally = ballot_tally(ballot)
        due = now >= ballot.closes_at or tally["remaining"] == 0
        if actor is not None:
            if ballot.kind == BallotKind.COMMUNITY:
                allowed = policies.is_community_staff(actor, proposal.group.community)
            else:
                allowed = policies.is_group_council_member(actor, proposal.group) or policies.is_community_staff(
                    actor, proposal.group.community
                )
            if not allowed:
                raise PermissionDenied(_("您不能结束这次表决。"))
            if not due and not tally["decided"]:
                raise DomainError(
                    _(
                        "结果还可能改变：目前赞成 %(approve)d 票，通过需要 %(needed)d 票，还有 %(remaining)d 人未投票。"
                        "在截止时间 %(at)s 之前，每位成员都有权投票。"
                    )
                    % {**tally, "at": _local(ballot.closes_at)}
                )
        elif not due:
            raise DomainError(_("表决尚未到截止时间，也还有人未投票。"))
        _close_locked(proposal, ballot, actor=actor, now=now)
    return ballot


def _close_locked(proposal: Proposal, ballot: Ballot, *, actor, now: datetime) -> None:
    tally = ballot_tally(ballot)
    ballot.approve_count, ballot.oppose_count, ballot.abstain_count = (
        tally["approve"], tally["oppose"], tally["abstain"],
    )
    passed = tally["passes_now"]
    ballot.outcome = BallotOutcome.PASSED if passed else BallotOutcome.FAILED
    ballot.closed_at = now
    ballot.closed_by = actor
    ballot.save(update_fields=["approve_count", "oppose_count", "abstain_count", "outcome", "closed_at", "closed_by"])
    data = {
        "ballot": ballot.pk, "kind": ballot.kind, "outcome": ballot.outcome, "approve": tally["approve"],
        "oppose": tally["oppose"], "abstain": tally["abstain"], "electorate": tally["electorate"],
        "needed": tally["needed"],
        # Every vote as cast, so a vote flipped after the close is seen (R14).
        "votes": votes_digest(ballot.votes.values_list(*VOTE_FIELDS)),
    }
    if ballot.kind == BallotKind.GROUP:
        if passed and proposal.status == S.GROUP_REVIEW and proposal.revision == ballot.proposal_revision:
            resolution = _resolution_freeze(proposal, ballot, now)
            data["resolution"] = resolution.pk
            data["content_hash"] = resolution.content_hash
            proposal_transition(
                proposal=proposal, to_status=S.ADOPTED, actor=actor, kind=EventKind.ADOPTED, data=data,
                amounts={"total": resolution.total, "community_share": resolution.community_share},
            )
        else:
            event_write(proposal=proposal, kind=EventKind.BALLOT_CLOSED, actor=actor, data=data)
    else:
        proposal_transition(
            proposal=proposal, to_status=S.APPROVED if passed else S.REJECTED, actor=actor,
            kind=EventKind.APPROVED if passed else EventKind.REJECTED, data=data,
        )


def _resolution_freeze(proposal: Proposal, ballot: Ballot, now: datetime) -> Resolution:
    """R4: freeze the adopted text and budget, with a content hash."""
    content = proposal_content(proposal)
    number = (proposal.resolutions.aggregate(n=Max("number"))["n"] or 0) + 1
    return Resolution.objects.create(
        proposal=proposal, number=number, proposal_revision=proposal.revision, title=content["title"],
        text=content["text"], category=content["category"], budget=content["budget"], total=proposal.total,
        community_share=proposal.community_share, content_hash=content_hash(content), adopted_at=now,
        ballot=ballot,
    )


def ballots_due(now: datetime | None = None):
    """Open ballots whose ``closes_at`` has passed (for the closing job)."""
    return Ballot.objects.filter(closed_at__isnull=True, closes_at__lte=now or timezone.now())


# --------------------------------------------------------------------------- notice


def notice_publish(*, proposal: Proposal, actor: User) -> Notice:
    """R5: ADOPTED -> NOTICE: post the adopted resolution to the group for the full notice period."""
    now = timezone.now()
    with transaction.atomic():
        lock_proposal(proposal)
        _require_group_member(actor, proposal, _("发布公示"))
        require_status(proposal, S.ADOPTED, action=_("发布公示"))
        resolution = proposal.resolutions.order_by("-number").first()
        days = max(proposal.group.community.notice_days, 7)
        notice = Notice.objects.create(
            proposal=proposal, resolution=resolution, published_by=actor, published_at=now,
            ends_at=now + timedelta(days=days),
        )
        proposal_transition(
            proposal=proposal, to_status=S.NOTICE, actor=actor, kind=EventKind.NOTICE_PUBLISHED,
            data={"notice": notice.pk, "resolution": resolution.pk, "ends_at": notice.ends_at.isoformat()},
        )
    return notice


def objection_text_key(text: str) -> str:
    """What makes two objections "the same text": compatibility-normalised, case-folded,
    without spaces or punctuation ("楼道太窄！" and "楼道太窄 !" are one objection)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c for c in folded if not unicodedata.category(c).startswith(("P", "Z", "C")))
    return hashlib.sha256(kept.encode()).hexdigest()


def objection_file(*, notice: Notice, resident: User, text: str, recorded_by: User | None = None) -> Objection:
    """R5: a verified resident of the group objects while the notice runs."""
    text = _require_text(text, _("异议内容"), 2000)
    now = timezone.now()
    with transaction.atomic():
        proposal = lock_proposal(notice.proposal)
        notice.refresh_from_db()
        group = proposal.group
        if recorded_by is not None and not policies.is_community_staff(recorded_by, group.community):
            raise PermissionDenied(_("只有本社区的工作人员可以代居民录入异议。"))
        if not policies.is_resident_of(resident, group):
            raise PermissionDenied(_("只有%(group)s的核实居民可以对这项公示提出异议。") % {"group": group.name})
        if notice.voided_at is not None:
            raise DomainError(_("这项公示已经作废，议案已退回小组重新议事。"))
        if now < notice.published_at:
            raise DomainError(_("公示还没有开始。"))
        if now >= notice.ends_at:
            raise DomainError(_("公示已于 %(at)s 结束，不能再提出异议。") % {"at": _local(notice.ends_at)})
        # Under the proposal's lock, so two objections of one resident cannot race; the
        # constraints on (notice, resident, slot) and (…, text_key) make it impossible anyway.
        mine = list(Objection.objects.filter(notice=notice, resident=resident).values_list("text_key", "text"))
        key = objection_text_key(text)
        if any((k or objection_text_key(t)) == key for k, t in mine):
            raise DomainError(_("这条异议已经提过了，小组议事会会答复；同样的内容不必重复提交。"))
        if len(mine) >= MAX_OBJECTIONS_PER_NOTICE:
            raise DomainError(
                _("每位居民对一项公示最多提出 %(n)d 条异议。如有新的意见，请在已提的异议中说明或联系小组议事会。")
                % {"n": MAX_OBJECTIONS_PER_NOTICE}
            )
        try:
            with transaction.atomic():
                objection = Objection.objects.create(
                    notice=notice, resident=resident, text=text, filed_at=now, recorded_by=recorded_by,
                    slot=len(mine) + 1, text_key=key,
                )
        except IntegrityError as exc:
            raise DomainError(_("这条异议已经提过了，小组议事会会答复；同样的内容不必重复提交。")) from exc
        event_write(
            proposal=proposal, kind=EventKind.OBJECTION_FILED, actor=recorded_by or resident,
            on_behalf_of=resident if recorded_by else None, data={"objection": objection.pk, "notice": notice.pk},
        )
    return objection


def objection_answer(*, objection: Objection, actor: User, upheld: bool, answer: str) -> Objection:
    """R5: the group council answers an objection: dismissed with a reason, or upheld.

    Upheld voids the notice and sends the proposal back to group review; a new
    resolution then needs a new, full notice.
    """
    answer = _require_text(answer, _("答复"), 2000)
    now = timezone.now()
    with transaction.atomic():
        proposal = lock_proposal(objection.notice.proposal)
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        _require_group_member(actor, proposal, _("答复异议"))
        if objection.answered_at is not None:
            raise DomainError(_("这条异议已经答复过了。"))
        objection.answered_at, objection.answered_by = now, actor
        objection.upheld, objection.answer = bool(upheld), answer
        objection.save(update_fields=["answered_at", "answered_by", "upheld", "answer"])
        notice = objection.notice
        data = {"objection": objection.pk, "upheld": bool(upheld), "notice": notice.pk}
        if upheld and notice.voided_at is None and proposal.status == S.NOTICE:
            Notice.objects.filter(pk=notice.pk).update(voided_at=now)
            notice.voided_at = now
            proposal_transition(
                proposal=proposal, to_status=S.GROUP_REVIEW, actor=actor, kind=EventKind.OBJECTION_ANSWERED,
                reason=answer, data=data,
            )
        else:
            event_write(proposal=proposal, kind=EventKind.OBJECTION_ANSWERED, actor=actor, reason=answer, data=data)
    return objection


def submission_blockers(proposal: Proposal, now: datetime | None = None) -> list[str]:
    """R6: why the proposal cannot go to the community yet (empty when it can)."""
    now = now or timezone.now()
    notice = current_notice(proposal)
    if proposal.status != S.NOTICE or notice is None:
        return [_("议案没有正在进行或已期满的公示。")]
    reasons = []
    if now < notice.ends_at:
        reasons.append(
            _("公示要到 %(at)s 才期满，还剩 %(left)s。")
            % {"at": _local(notice.ends_at), "left": _duration(notice.ends_at - now)}
        )
    open_count = notice.objections.filter(answered_at__isnull=True).count()
    if open_count:
        reasons.append(
            ngettext("还有 %(n)d 条异议没有答复。", "还有 %(n)d 条异议没有答复。", open_count) % {"n": open_count}
        )
    if notice.objections.filter(upheld=True).exists():
        reasons.append(_("有异议被采纳，需要重新形成决议并重新公示。"))
    resolution = notice.resolution
    latest = proposal.resolutions.order_by("-number").values_list("pk", flat=True).first()
    if resolution.pk != latest:
        reasons.append(_("公示的不是最新的决议，需要先公示最新的决议。"))
    if proposal.revision != resolution.proposal_revision or content_hash(proposal_content(proposal)) != resolution.content_hash:
        reasons.append(_("议案在形成决议后被修改过，公示的决议与议案不一致，需要重新表决和公示。"))
    return reasons


def proposal_submit_to_community(*, proposal: Proposal, actor: User) -> Proposal:
    """R6: NOTICE -> SUBMITTED once the notice ran its full time with every objection dismissed."""
    with transaction.atomic():
        lock_proposal(proposal)
        _require_group_member(actor, proposal, _("提交社区议事会"))
        require_status(proposal, S.NOTICE, action=_("提交社区议事会"))
        blockers = submission_blockers(proposal)
        if blockers:
            raise DomainError(_("还不能提交社区议事会：") + " ".join(blockers))
        notice = current_notice(proposal)
        proposal_transition(
            proposal=proposal, to_status=S.SUBMITTED, actor=actor, kind=EventKind.SUBMITTED_TO_COMMUNITY,
            data={"notice": notice.pk, "resolution": notice.resolution_id},
        )
    return proposal


# --------------------------------------------------------------------------- meetings, supervision


def agenda_add(*, meeting: Meeting, proposal: Proposal, actor: User) -> AgendaItem:
    """Put a proposal on a meeting's agenda (council members or community staff)."""
    council = meeting.council
    community = proposal.group.community
    in_scope = (council.group_id == proposal.group_id) if council.group_id else council.community_id == community.pk
    if not in_scope:
        raise DomainError(_("这个议案不属于该议事会的议事范围。"))
    if not (policies.is_seated(actor, council) or policies.is_community_staff(actor, council.community)):
        raise PermissionDenied(_("只有议事会成员或社区工作人员可以安排议程。"))
    with transaction.atomic():
        lock_proposal(proposal)
        if AgendaItem.objects.filter(meeting=meeting, proposal=proposal).exists():
            raise DomainError(_("这个议案已经在本次会议的议程上。"))
        position = (meeting.agenda.aggregate(n=Max("position"))["n"] or 0) + 1
        item = AgendaItem.objects.create(meeting=meeting, proposal=proposal, position=position, added_by=actor)
        event_write(
            proposal=proposal, kind=EventKind.AGENDA_ADDED, actor=actor,
            data={"meeting": meeting.pk, "held_at": meeting.held_at.isoformat()},
        )
    return item


def _require_supervisor(user: User, proposal: Proposal) -> None:
    if not policies.is_supervisor_of(user, proposal.group.community):
        raise PermissionDenied(_("只有本社区或本街道的监督人员可以这样做。"))


def opinion_record(*, proposal: Proposal, supervisor: User, text: str) -> Opinion:
    """R11: a supervisor records an opinion on the proposal's record."""
    text = _require_text(text, _("监督意见"), 4000)
    _require_supervisor(supervisor, proposal)
    with transaction.atomic():
        lock_proposal(proposal)
        opinion = Opinion.objects.create(proposal=proposal, supervisor=supervisor, text=text)
        event_write(proposal=proposal, kind=EventKind.OPINION_RECORDED, actor=supervisor, reason=text,
                    data={"opinion": opinion.pk})
    return opinion


TERMINAL = (S.SETTLED, S.WITHDRAWN, S.REJECTED)


def hold_place(*, proposal: Proposal, supervisor: User, reason: str) -> Hold:
    """R11: a supervisor stops the money. An open hold blocks release and settlement."""
    reason = _require_text(reason, _("暂停理由"), 2000)
    _require_supervisor(supervisor, proposal)
    with transaction.atomic():
        lock_proposal(proposal)
        if proposal.status in TERMINAL:
            raise DomainError(
                _("议案已经“%(status)s”，无需暂停。") % {"status": proposal.get_status_display()}
            )
        hold = Hold.objects.create(proposal=proposal, placed_by=supervisor, reason=reason)
        event_write(proposal=proposal, kind=EventKind.HOLD_PLACED, actor=supervisor, reason=reason,
                    data={"hold": hold.pk})
    return hold


def hold_lift(*, hold: Hold, actor: User, reason: str) -> Hold:
    """R11: a supervisor in scope lifts a hold, with a reason."""
    reason = _require_text(reason, _("解除理由"), 2000)
    with transaction.atomic():
        proposal = lock_proposal(hold.proposal)
        _require_supervisor(actor, proposal)
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if hold.lifted_at is not None:
            raise DomainError(_("这项暂停已经解除。"))
        hold.lifted_at, hold.lifted_by, hold.lift_reason = timezone.now(), actor, reason
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        event_write(proposal=proposal, kind=EventKind.HOLD_LIFTED, actor=actor, reason=reason,
                    data={"hold": hold.pk})
    return hold


def open_holds(proposal: Proposal):
    return proposal.holds.filter(lifted_at__isnull=True)


def rating_record(*, proposal: Proposal, resident: User, stars: int, comment: str = "") -> Rating:
    """A verified resident of the group rates the finished work once (1–5)."""
    try:
        stars = int(stars)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("请选择 1 到 5 星。")) from exc
    if not 1 <= stars <= 5:
        raise DomainError(_("请选择 1 到 5 星。"))
    comment = check_text(comment, _("评价"), 1000, multiline=True, required=False)
    with transaction.atomic():
        lock_proposal(proposal)
        if not policies.is_resident_of(resident, proposal.group):
            raise PermissionDenied(_("只有%(group)s的核实居民可以评价。") % {"group": proposal.group.name})
        require_status(proposal, S.ACCEPTED, S.SETTLED, action=_("评价（验收后才能评价）"))
        if Rating.objects.filter(proposal=proposal, resident=resident).exists():
            raise DomainError(_("您已经评价过了。"))
        rating = Rating.objects.create(proposal=proposal, resident=resident, stars=stars, comment=comment)
        event_write(proposal=proposal, kind=EventKind.RATED, actor=resident, data={"stars": stars})
    return rating


__all__ = [
    "proposal_create", "proposal_update", "proposal_submit", "proposal_return", "proposal_withdraw",
    "proposal_follow", "group_ballot_open", "community_ballot_open", "vote_cast", "ballot_close",
    "notice_publish", "objection_file", "objection_answer", "proposal_submit_to_community",
    "agenda_add", "opinion_record", "hold_place", "hold_lift", "rating_record", "proposal_transition",
    "ballot_tally", "submission_blockers", "current_notice", "open_holds", "ballots_due",
]


# --------------------------------------------------------------------------- roadshow (路演)

ROADSHOW_STATUSES = (S.SUBMITTED, S.COMMUNITY_VOTE)


def _roadshow_item(item: AgendaItem, actor: User) -> AgendaItem:
    """Lock and check an agenda item for a roadshow: a community-council meeting, a submitted
    proposal (or one in its community vote), recorded by a council member or community staff."""
    council = item.meeting.council
    if council.group_id is not None:
        raise DomainError(_("路演是在社区议事会上介绍项目，小组议事会的议程不需要路演。"))
    if not (policies.is_seated(actor, council) or policies.is_community_staff(actor, council.community)):
        raise PermissionDenied(_("只有社区议事会成员或社区工作人员可以记录路演。"))
    proposal = lock_proposal(item.proposal)
    if proposal.status not in ROADSHOW_STATUSES:
        raise InvalidTransition(_("只有已提交社区、尚未表决结束的议案才做路演。"))
    return AgendaItem.objects.select_for_update().get(pk=item.pk)


def roadshow_record(
    *, item: AgendaItem, actor: User, presenter: User, presentation: str, self_raised_source: str
) -> AgendaItem:
    """路演: record the group's presentation of its proposal at a community-council meeting —
    who presented (a verified resident of the group), the project and where the self-raised
    money comes from. Owners' views are counted from the record (selectors.roadshow_for)."""
    presentation = _require_text(presentation, _("项目介绍"), 4000)
    self_raised_source = _require_text(self_raised_source, _("自筹资金来源"), 2000)
    with transaction.atomic():
        item = _roadshow_item(item, actor)
        group = item.proposal.group
        if not (policies.is_resident_of(presenter, group) or policies.is_group_council_member(presenter, group)):
            raise DomainError(
                _("介绍人应是%(group)s的居民或小组议事会成员。") % {"group": group.name}
            )
        item.presenter = presenter
        item.presentation = presentation
        item.self_raised_source = self_raised_source
        item.presented_at = timezone.now()
        item.presentation_recorded_by = actor
        item.save(update_fields=["presenter", "presentation", "self_raised_source", "presented_at",
                                 "presentation_recorded_by"])
    return item


def roadshow_question_record(
    *, item: AgendaItem, actor: User, asked_by: User, question: str, answer: str
) -> RoadshowQuestion:
    """A community-council member's question at the roadshow and the group's answer."""
    question = _require_text(question, _("提问"), 2000)
    answer = _require_text(answer, _("回答"), 2000)
    with transaction.atomic():
        item = _roadshow_item(item, actor)
        if not item.presented_at:
            raise DomainError(_("请先记录小组的项目介绍，再记录提问。"))
        if not policies.is_seated(asked_by, item.meeting.council, item.meeting.held_at):
            raise DomainError(_("提问人应是开会时在任的社区议事会成员。"))
        return RoadshowQuestion.objects.create(
            item=item, asked_by=asked_by, question=question, answer=answer, recorded_by=actor
        )

