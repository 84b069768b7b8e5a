"""State changes of elections (R20).

Each function runs in one transaction, locks the election row first (then its
round), re-checks every rule under the lock and raises ``DomainError`` with a
sentence a person can act on; a refusal changes nothing.

Secrecy: a ballot marks the voter's roll row with a conditional UPDATE and
writes an anonymous ``BallotPaper`` in the same transaction. Nothing here logs,
records as an event or notifies who chose whom; events never mention ballots.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies as cp
from councils.enums import CouncilKind, SeatRole
from councils.models import BoardSeat, Council, Residency, Seat, SupervisoryBoard, User
from councils.services import board_seat_assign, seat_assign, seat_end
from yishi.errors import DomainError, InvalidTransition, PermissionDenied

from . import notify
from .counting import count_round
from .enums import CandidateResult, ElectionEventKind, ElectionStatus, VoteMethod
from .models import BallotPaper, Candidate, Election, ElectionEvent, ElectionRound, ElectionVoter

logger = logging.getLogger(__name__)

MIN_GROUP_COUNCIL_SEATS = 3
MIN_SUPPORTERS = 3


def _local(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _event(election: Election, kind: str, actor: User | None, **data) -> ElectionEvent:
    return ElectionEvent.objects.create(election=election, kind=kind, actor=actor, data=data)


def _lock(election: Election) -> Election:
    election.refresh_from_db(from_queryset=Election.objects.select_for_update())
    return election


def _round(election: Election, *, lock: bool = False) -> ElectionRound:
    qs = ElectionRound.objects.select_for_update() if lock else ElectionRound.objects
    return qs.get(election=election, number=election.current_round)


def _require_staff(actor: User, election_or_community, action: str) -> None:
    community = getattr(election_or_community, "community", election_or_community)
    if not cp.is_community_staff(actor, community):
        raise PermissionDenied(_("只有本社区的工作人员可以%(action)s。") % {"action": action})


def residents_in_scope(election: Election, at: datetime):
    """Verified residencies that make a voter or a candidate at ``at``: the group's, or the
    community's for a supervisory board."""
    qs = Residency.objects.current(at).filter(verified_at__isnull=False, verified_at__lte=at)
    if election.group_id:
        return qs.filter(group_id=election.group_id)
    return qs.filter(group__community_id=election.community_id)


def _add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


# --------------------------------------------------------------------------- opening and nominations


def election_open(
    *, target, actor: User, seats: int, nominations_close: datetime, opens_at: datetime, closes_at: datetime,
    uncontested: bool = False,
) -> Election:
    """Staff open an election of every seat of a group council or a community's supervisory board.

    Creates the election and its first round; the roll is frozen later, when voting opens.
    """
    if isinstance(target, Council):
        if target.kind != CouncilKind.GROUP:
            raise DomainError(_("只有居民小组议事会由居民推选产生。"))
        community, group, board, council = target.community, target.group, None, target
        if seats < MIN_GROUP_COUNCIL_SEATS:
            raise DomainError(_("居民小组议事会至少要选出 %(n)d 名成员。") % {"n": MIN_GROUP_COUNCIL_SEATS})
    elif isinstance(target, SupervisoryBoard):
        if not target.community_id:
            raise DomainError(_("只有社区监事会由居民推选产生。"))
        community, group, board, council = target.community, None, target, None
        if seats < 1:
            raise DomainError(_("应选人数至少为 1。"))
    else:
        raise DomainError(_("只能为居民小组议事会或社区监事会发起推选。"))
    _require_staff(actor, community, _("发起推选"))
    now = timezone.now()
    if nominations_close <= now:
        raise DomainError(_("提名截止时间必须在现在之后，让居民有时间报名。"))
    if not (nominations_close <= opens_at < closes_at):
        raise DomainError(_("时间顺序应为：提名截止、投票开始、投票截止。"))
    with transaction.atomic():
        type(target).objects.select_for_update().get(pk=target.pk)
        running = Election.objects.filter(status__in=[s.value for s in (
            ElectionStatus.SCHEDULED, ElectionStatus.RUNOFF, ElectionStatus.AWAITING_RUNOFF)])
        if running.filter(council=council, board=board).exists():
            raise DomainError(_("%(body)s已有一次推选正在进行。") % {"body": target.name})
        election = Election.objects.create(
            community=community, council=council, board=board, group=group, seats=seats,
            uncontested=uncontested, nominations_close=nominations_close, opens_at=opens_at,
            closes_at=closes_at, opened_by=actor, opened_at=now,
        )
        ElectionRound.objects.create(election=election, number=1, seats=seats, opens_at=opens_at, closes_at=closes_at)
        _event(election, ElectionEventKind.OPENED, actor, seats=seats, uncontested=uncontested)
        transaction.on_commit(lambda: notify.election_opened(election.pk))
    logger.info("election %s opened for %s seats", election.pk, seats)
    return election


def _refuse_conflicting_post(election: Election, user: User, at: datetime) -> None:
    # R2: a supervisor may not sit on a council, nor a council member or staff on the board.
    if election.council_id and cp.supervises_during(user, election.community, at):
        raise DomainError(
            _("%(name)s是本社区的监督人员，不能当选议事会成员。") % {"name": user.display_name}
        )
    if election.board_id and cp.holds_post_or_seat_during(user, election.community, at):
        raise DomainError(
            _("%(name)s在本社区担任议事会成员或工作人员，不能当选监督人员。") % {"name": user.display_name}
        )


def candidate_nominate(*, election: Election, candidate: User, actor: User, supporters=()) -> Candidate:
    """Nominate ``candidate``: staff nominate anyone eligible; a resident nominates themselves
    with at least 3 other verified residents of the group supporting them."""
    now = timezone.now()
    with transaction.atomic():
        _lock(election)
        if election.status != ElectionStatus.SCHEDULED or now >= election.nominations_close:
            raise DomainError(_("提名已于 %(at)s 截止。") % {"at": _local(election.nominations_close)})
        staff = cp.is_community_staff(actor, election.community)
        if not staff and actor.pk != candidate.pk:
            raise PermissionDenied(_("居民只能自荐；提名他人请由社区工作人员办理。"))
        scope = residents_in_scope(election, now)
        if not scope.filter(user=candidate).exists():
            raise DomainError(
                _("%(name)s不是本次推选范围内的核实居民，不能成为候选人。") % {"name": candidate.display_name}
            )
        supporter_ids = {getattr(s, "pk", s) for s in supporters} - {candidate.pk}
        if not staff:
            if len(supporter_ids) < MIN_SUPPORTERS:
                raise DomainError(_("自荐需要至少 %(n)d 位其他居民联名支持。") % {"n": MIN_SUPPORTERS})
        if supporter_ids and scope.filter(user_id__in=supporter_ids).count() != len(supporter_ids):
            raise DomainError(_("联名支持的人必须都是本次推选范围内的核实居民。"))
        _refuse_conflicting_post(election, candidate, now)
        if Candidate.objects.filter(election=election, user=candidate).exists():
            raise DomainError(_("%(name)s已经是候选人。") % {"name": candidate.display_name})
        row = Candidate.objects.create(election=election, user=candidate, nominated_by=actor, nominated_at=now)
        if supporter_ids:
            row.supporters.set(supporter_ids)
        _event(election, ElectionEventKind.NOMINATED, actor, candidate=candidate.pk, self_nominated=not staff
               or actor.pk == candidate.pk)
    return row


def candidate_statement_set(*, candidate: Candidate, actor: User, statement: str) -> Candidate:
    """The candidate (or staff for them) writes the statement shown once nominations close.
    It can change until voting opens, never after."""
    statement = (statement or "").strip()
    if len(statement) > 1000:
        raise DomainError(_("个人陈述最多 1000 字。"))
    election = candidate.election
    if actor.pk != candidate.user_id:
        _require_staff(actor, election, _("代候选人填写陈述"))
    with transaction.atomic():
        _lock(election)
        if election.status != ElectionStatus.SCHEDULED or timezone.now() >= election.opens_at:
            raise DomainError(_("投票已经开始，个人陈述不能再修改。"))
        candidate.refresh_from_db(from_queryset=Candidate.objects.select_for_update())
        candidate.statement = statement
        candidate.save(update_fields=["statement"])
    return candidate


# --------------------------------------------------------------------------- the roll


def _enough_candidates(election: Election) -> bool:
    n = election.candidates.count()
    return n >= election.seats if election.uncontested else n > election.seats


def _freeze_roll(election: Election, round_: ElectionRound, now: datetime) -> bool:
    """Create the first round's roll from the residents at ``opens_at`` (under the election lock).

    Returns False, freezing nothing, when there are too few candidates to vote on.
    """
    if round_.roll_frozen_at is not None:
        return True
    if not _enough_candidates(election):
        return False
    users = residents_in_scope(election, round_.opens_at).values_list("user_id", flat=True)
    ElectionVoter.objects.bulk_create(
        [ElectionVoter(election=election, round=round_, user_id=u) for u in sorted(set(users))]
    )
    round_.candidates.set(election.candidates.all())
    round_.roll_frozen_at = now
    round_.roll_size = ElectionVoter.objects.filter(round=round_).count()
    round_.save(update_fields=["roll_frozen_at", "roll_size"])
    _event(election, ElectionEventKind.ROLL_FROZEN, None, round=round_.number, roll_size=round_.roll_size)
    transaction.on_commit(lambda: notify.voting_open(election.pk, round_.number))
    return True


def _cancel(election: Election, now: datetime) -> Election:
    _transition(election, ElectionStatus.CANCELLED)
    election.finished_at = now
    election.save(update_fields=["status", "finished_at"])
    _event(election, ElectionEventKind.CANCELLED, None, candidates=election.candidates.count(), seats=election.seats)
    transaction.on_commit(lambda: notify.election_result(election.pk, election.current_round))
    return election


def _transition(election: Election, to: str) -> None:
    from .enums import TRANSITIONS

    if to not in TRANSITIONS.get(election.status, set()):
        raise InvalidTransition(_("这次推选目前不能进行这一步。"))
    election.status = to


def election_roll_freeze(*, election: Election) -> Election:
    """Freeze the roll once voting has opened (the job calls this; a first ballot does it too).
    With too few candidates (差额 needs more than the seats) the election is cancelled."""
    now = timezone.now()
    with transaction.atomic():
        _lock(election)
        if election.status != ElectionStatus.SCHEDULED or now < election.opens_at:
            return election
        round_ = _round(election, lock=True)
        if not _freeze_roll(election, round_, now):
            _cancel(election, now)
    return election


# --------------------------------------------------------------------------- ballots


def _voting_round(election: Election, now: datetime) -> ElectionRound:
    if election.status not in (ElectionStatus.SCHEDULED, ElectionStatus.RUNOFF):
        raise DomainError(_("这次推选现在不在投票时间内。"))
    round_ = _round(election, lock=True)
    if now < round_.opens_at:
        raise DomainError(_("投票将于 %(at)s 开始。") % {"at": _local(round_.opens_at)})
    if now >= round_.closes_at:
        raise DomainError(_("投票已于 %(at)s 截止。") % {"at": _local(round_.closes_at)})
    if not _freeze_roll(election, round_, now):
        raise DomainError(_("候选人人数不足，这次推选不能投票。请联系社区工作人员。"))
    return round_


def _choice_ids(round_: ElectionRound, choices) -> list[int]:
    user_ids = [getattr(c, "pk", c) for c in choices]
    if len(set(user_ids)) != len(user_ids):
        raise DomainError(_("同一位候选人只能选一次。"))
    if len(user_ids) > round_.seats:
        raise DomainError(
            _("最多可以选 %(seats)d 人，您选了 %(n)d 人。") % {"seats": round_.seats, "n": len(user_ids)}
        )
    by_user = dict(round_.candidates.filter(user_id__in=user_ids).values_list("user_id", "pk"))
    if len(by_user) != len(user_ids):
        raise DomainError(_("选票上只能选择本轮的候选人。"))
    return sorted(by_user.values())


def _mark_and_write_paper(
    election: Election, round_: ElectionRound, voter: User, candidate_ids: list[int], *, method: str,
    box: str = "", recorded_by: User | None = None, now: datetime,
) -> ElectionVoter:
    entry = ElectionVoter.objects.filter(round=round_, user=voter).first()
    if entry is None:
        raise DomainError(
            _("%(name)s不在本次推选的选民名册上（名册在投票开始时确定）。") % {"name": voter.display_name}
        )
    # The conditional UPDATE is what makes one ballot per voter hold under concurrent
    # requests: the second transaction waits for the row, then matches nothing.
    marked = ElectionVoter.objects.filter(pk=entry.pk, voted=False).update(
        voted=True, method=method, box=box, recorded_by=recorded_by
    )
    if not marked:
        entry.refresh_from_db()
        if method == VoteMethod.PAPER and entry.method == VoteMethod.ONLINE:
            raise DomainError(_("%(name)s已经在网上投票，不能再录入纸质选票。") % {"name": voter.display_name})
        raise DomainError(_("%(name)s已经投过票，每人只能投一次。") % {"name": voter.display_name})
    BallotPaper.objects.create(
        election=election, round=round_, cast_on=timezone.localdate(now), choices=candidate_ids
    )
    entry.refresh_from_db()
    return entry


def election_ballot_cast(*, election: Election, voter: User, choices) -> ElectionVoter:
    """A voter on the roll casts their ballot online: at most as many candidates as seats, or none
    (a blank ballot counts as cast). Returns the voter's roll entry, now marked."""
    now = timezone.now()
    with transaction.atomic():
        _lock(election)
        round_ = _voting_round(election, now)
        candidate_ids = _choice_ids(round_, choices)
        return _mark_and_write_paper(election, round_, voter, candidate_ids, method=VoteMethod.ONLINE, now=now)


def election_paper_ballot(*, election: Election, voter: User, choices, actor: User, box) -> ElectionVoter:
    """Staff enter a voter's paper ballot with its ballot-box number; the roll shows paper and box."""
    _require_staff(actor, election, _("录入纸质选票"))
    box = str(box or "").strip()
    if not box or len(box) > 20:
        raise DomainError(_("请填写票箱号（最多 20 个字符）。"))
    now = timezone.now()
    with transaction.atomic():
        _lock(election)
        round_ = _voting_round(election, now)
        candidate_ids = _choice_ids(round_, choices)
        return _mark_and_write_paper(
            election, round_, voter, candidate_ids, method=VoteMethod.PAPER, box=box, recorded_by=actor, now=now
        )


# --------------------------------------------------------------------------- counting


def _seat_winners(election: Election, now: datetime) -> None:
    """Every seat is filled: end the sitting members' terms and seat the winners for the term,
    through the councils services (R2 checks apply), on behalf of the staff member who opened it."""
    actor = election.opened_by
    ends_at = _add_years(now, election.term_years)
    winners = list(
        Candidate.objects.filter(election=election, result=CandidateResult.ELECTED).select_related("user")
    )
    if election.council_id:
        council = election.council
        # A re-elected member keeps the role they held (the convener stays convener until the
        # new council chooses again); everyone else starts as a member.
        roles = {}
        for old in Seat.objects.current(now).filter(council=council):
            roles[old.user_id] = old.role
            seat_end(seat=old, actor=actor, at=now)
        for c in winners:
            seat_assign(council=council, user=c.user, actor=actor, role=roles.get(c.user_id, SeatRole.MEMBER),
                        starts_at=now, ends_at=ends_at)
    else:
        board = election.board
        BoardSeat.objects.current(now).filter(board=board, starts_at__lt=now).update(ends_at=now)
        for c in winners:
            seat = board_seat_assign(board=board, user=c.user, actor=actor)
            seat.ends_at = ends_at
            seat.save(update_fields=["ends_at"])
    _event(election, ElectionEventKind.SEATED, None, members=[c.user_id for c in winners],
           term_ends=ends_at.isoformat())


def _count(election: Election, round_: ElectionRound, now: datetime) -> None:
    candidates = list(round_.candidates.all())
    votes = {c.pk: 0 for c in candidates}
    blank = 0
    papers = 0
    for choices in BallotPaper.objects.filter(round=round_).values_list("choices", flat=True):
        papers += 1
        if not choices:
            blank += 1
        for cid in choices:
            votes[cid] += 1
    voted = ElectionVoter.objects.filter(round=round_, voted=True).count()
    if voted != papers:  # pragma: no cover - one transaction writes both; a mismatch is corruption
        raise DomainError(_("选票数与名册上的投票人数不符，计票已停止。请联系系统管理员。"))
    roll_size = ElectionVoter.objects.filter(round=round_).count()
    result = count_round(votes=votes, ballots_cast=papers, roll_size=roll_size, seats=round_.seats,
                         runoff=round_.number > 1)
    round_.tallies = {str(k): v for k, v in votes.items()}
    round_.ballots_cast, round_.blank_ballots, round_.roll_size = papers, blank, roll_size
    round_.valid = result.valid
    round_.closed_at = now
    round_.save(update_fields=["tallies", "ballots_cast", "blank_ballots", "roll_size", "valid", "closed_at"])
    if result.valid:
        ids = [c.pk for c in candidates]
        Candidate.objects.filter(pk__in=ids).update(result=CandidateResult.NOT_ELECTED)
        Candidate.objects.filter(pk__in=result.runoff).update(result=CandidateResult.RUNOFF)
        Candidate.objects.filter(pk__in=result.elected).update(
            result=CandidateResult.ELECTED, elected_round=round_.number
        )
    _event(election, ElectionEventKind.ROUND_CLOSED, None, round=round_.number, roll_size=roll_size,
           ballots_cast=papers, valid=result.valid, elected=result.elected, runoff=result.runoff)
    logger.info("election %s round %s counted: valid=%s", election.pk, round_.number, result.valid)
    elected_total = Candidate.objects.filter(election=election, result=CandidateResult.ELECTED).count()
    if not result.valid and round_.number == 1:
        _transition(election, ElectionStatus.INVALID)
    elif result.valid and elected_total == election.seats:
        _transition(election, ElectionStatus.COMPLETED)
    else:
        _transition(election, ElectionStatus.AWAITING_RUNOFF)
    if election.status in (ElectionStatus.INVALID, ElectionStatus.COMPLETED):
        election.finished_at = now
    election.save(update_fields=["status", "finished_at"])
    if election.status == ElectionStatus.COMPLETED:
        _seat_winners(election, now)
    transaction.on_commit(lambda: notify.election_result(election.pk, round_.number))


def election_close(*, election: Election, actor: User | None = None) -> Election:
    """Count the current round. Idempotent: a counted round returns the election unchanged.

    Without an actor (the job) only a round whose voting time is over; staff may count
    early only when everyone on the roll has voted. When every seat is filled the winners
    are seated; seats left wait for ``election_runoff_open``.
    """
    if actor is not None:
        _require_staff(actor, election, _("计票"))
    now = timezone.now()
    with transaction.atomic():
        _lock(election)
        if election.status not in (ElectionStatus.SCHEDULED, ElectionStatus.RUNOFF):
            return election
        round_ = _round(election, lock=True)
        if now < round_.opens_at:
            raise DomainError(_("投票还没有开始，不能计票。"))
        if not _freeze_roll(election, round_, now):
            return _cancel(election, now)
        if now < round_.closes_at:
            waiting = ElectionVoter.objects.filter(round=round_, voted=False).count()
            if actor is None or waiting:
                raise DomainError(
                    _("投票在 %(at)s 截止，还有 %(n)d 位选民未投票。截止前每位选民都有权投票。")
                    % {"at": _local(round_.closes_at), "n": waiting}
                )
        _count(election, round_, now)
    return election


def election_runoff_open(*, election: Election, actor: User, closes_at: datetime) -> Election:
    """Open the next round for the seats left, among the candidates the count sent to it.
    Same roll as the first round; a voter marks at most the seats left."""
    _require_staff(actor, election, _("发起第二轮投票"))
    now = timezone.now()
    if closes_at <= now:
        raise DomainError(_("投票截止时间必须在现在之后。"))
    with transaction.atomic():
        _lock(election)
        if election.status != ElectionStatus.AWAITING_RUNOFF:
            raise InvalidTransition(_("这次推选现在不需要第二轮投票。"))
        previous = _round(election, lock=True)
        runoff = list(Candidate.objects.filter(election=election, result=CandidateResult.RUNOFF))
        if not previous.valid:
            # An invalid runoff is repeated with the same candidates.
            runoff = list(previous.candidates.all())
        if not runoff:
            raise DomainError(_("没有进入第二轮的候选人。"))
        elected = Candidate.objects.filter(election=election, result=CandidateResult.ELECTED).count()
        first = ElectionRound.objects.get(election=election, number=1)
        round_ = ElectionRound.objects.create(
            election=election, number=previous.number + 1, seats=election.seats - elected, opens_at=now,
            closes_at=closes_at, roll_frozen_at=now,
        )
        round_.candidates.set(runoff)
        voters = ElectionVoter.objects.filter(round=first).values_list("user_id", flat=True)
        ElectionVoter.objects.bulk_create(
            [ElectionVoter(election=election, round=round_, user_id=u) for u in voters]
        )
        round_.roll_size = len(voters)
        round_.save(update_fields=["roll_size"])
        _transition(election, ElectionStatus.RUNOFF)
        election.current_round = round_.number
        election.save(update_fields=["status", "current_round"])
        _event(election, ElectionEventKind.RUNOFF_OPENED, actor, round=round_.number, seats=round_.seats,
               candidates=[c.pk for c in runoff], closes_at=closes_at.isoformat())
        transaction.on_commit(lambda: notify.voting_open(election.pk, round_.number))
    return election


# --------------------------------------------------------------------------- jobs


def elections_to_freeze(now: datetime | None = None):
    now = now or timezone.now()
    return Election.objects.filter(
        status=ElectionStatus.SCHEDULED, opens_at__lte=now, rounds__number=1, rounds__roll_frozen_at__isnull=True
    )


def elections_nominations_closed(now: datetime | None = None):
    """Elections whose nominations have closed and whose voting has not opened: the candidates to announce."""
    now = now or timezone.now()
    return Election.objects.filter(status=ElectionStatus.SCHEDULED, nominations_close__lte=now, opens_at__gt=now)


def elections_due(now: datetime | None = None):
    """Elections whose current round's voting time is over and not yet counted."""
    now = now or timezone.now()
    from django.db.models import F

    return Election.objects.filter(
        status__in=[ElectionStatus.SCHEDULED, ElectionStatus.RUNOFF],
        rounds__number=F("current_round"), rounds__closes_at__lte=now, rounds__closed_at__isnull=True,
    ).distinct()
