"""Telling the electorate and the candidates about an election's steps (issue 12).

Opened (nominate yourself), nominations closed (the candidates), voting open (your ballot),
a runoff, and the result. Called after the step's transaction commits (``transaction.on_commit``)
or by the election job; each message has a key, so telling twice tells nobody twice
(``notifications_create`` is idempotent). Secrecy: nothing here knows who chose whom — the result
is the public count, and "voting open" goes to the whole roll, voted or not.
"""

from django.urls import reverse
from django.utils import timezone
from notifications.enums import NotificationKind as K
from notifications.messages import Msg as _  # put into words in each reader's language when shown
from notifications.messages import PerLanguage
from notifications.services import notifications_create

from .enums import CandidateResult, ElectionStatus
from .models import Candidate, Election, ElectionVoter


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _electorate(election: Election) -> set[int]:
    from .services import residents_in_scope

    return set(residents_in_scope(election, timezone.now()).values_list("user_id", flat=True))


def _roll(election: Election, round_number: int) -> set[int]:
    return set(ElectionVoter.objects.filter(election=election, round__number=round_number)
               .values_list("user_id", flat=True))


def _candidates(election: Election) -> set[int]:
    return set(Candidate.objects.filter(election=election).values_list("user_id", flat=True))


def _tell(election, users, kind, title, body, step) -> int:
    return notifications_create(users=users, kind=kind, title=title, body=body,
                                url=reverse("elections:detail", args=[election.pk]),
                                key=f"election:{election.pk}:{step}")


def election_opened(election_id: int) -> int:
    election = Election.objects.select_related("council", "board").get(pk=election_id)
    return _tell(election, _electorate(election), K.ELECTION_OPENED, _("推选开始了"), _(
        "%(election)s已发起，应选 %(seats)d 人。%(close)s 前可以自荐（需 3 位居民联名）或由社区提名；"
        "投票时间 %(opens)s 至 %(closes)s。") % {
        "election": election, "seats": election.seats, "close": _local(election.nominations_close),
        "opens": _local(election.opens_at), "closes": _local(election.closes_at)}, "opened")


def nominations_closed(election_id: int) -> int:
    from notifications.models import Notification

    election = Election.objects.select_related("council", "board").get(pk=election_id)
    if Notification.objects.filter(kind=K.ELECTION_CANDIDATES, key=f"election:{election.pk}:candidates").exists():
        return 0  # told already (the job asks every minute until voting opens)
    names = "、".join(c.user.display_name for c in Candidate.objects.filter(election=election)
                     .select_related("user").order_by("user__full_name", "user__username"))
    users = _electorate(election) | _candidates(election)
    return _tell(election, users, K.ELECTION_CANDIDATES, _("候选人名单已确定"), _(
        "%(election)s提名已截止，候选人：%(names)s。请阅读候选人的陈述；投票 %(opens)s 开始。") % {
        "election": election, "names": names or "—", "opens": _local(election.opens_at)}, "candidates")


def voting_open(election_id: int, round_number: int) -> int:
    election = Election.objects.select_related("council", "board").get(pk=election_id)
    round_ = election.rounds.get(number=round_number)
    if round_number > 1:
        names = "、".join(c.user.display_name for c in round_.candidates.select_related("user")
                         .order_by("user__full_name", "user__username"))
        users = _roll(election, round_number) | set(round_.candidates.values_list("user_id", flat=True))
        return _tell(election, users, K.ELECTION_RUNOFF, _("第二轮投票开始了"), _(
            "%(election)s还剩 %(seats)d 个席位，在 %(names)s 中进行第二轮投票，%(closes)s 截止。") % {
            "election": election, "seats": round_.seats, "names": names, "closes": _local(round_.closes_at)},
            f"round{round_number}")
    return _tell(election, _roll(election, 1), K.ELECTION_VOTING, _("推选投票开始了"), _(
        "%(election)s投票已开始，%(closes)s 截止。您最多可选 %(seats)d 人，也可以投空白票。") % {
        "election": election, "closes": _local(round_.closes_at), "seats": round_.seats}, "round1")


def election_result(election_id: int, round_number: int) -> int:
    """After a count: elected (with votes), a runoff to come, invalid, or cancelled."""
    election = Election.objects.select_related("council", "board").get(pk=election_id)
    users = (_roll(election, 1) or _electorate(election)) | _candidates(election)
    if election.status == ElectionStatus.CANCELLED:
        body = _("%(election)s候选人人数不足，未能举行。") % {"election": election}
    elif election.status == ElectionStatus.INVALID:
        body = _("%(election)s投票人数未超过选民名册的一半，投票无效。") % {"election": election}
    else:
        rounds = {r.number: r for r in election.rounds.all()}
        winners = [(c.user.display_name, rounds[c.elected_round].votes_for(c))
                   for c in Candidate.objects.filter(election=election, result=CandidateResult.ELECTED)
                   .select_related("user").order_by("elected_round", "user__full_name")]
        elected = PerLanguage.of(lambda: "、".join(
            str(_("%(name)s（%(votes)d 票）") % {"name": name, "votes": votes}) for name, votes in winners))
        if election.status == ElectionStatus.COMPLETED:
            body = _("%(election)s计票结束，当选：%(elected)s。") % {"election": election, "elected": elected}
        else:
            body = _("%(election)s第 %(n)d 轮计票结束，当选：%(elected)s；还有席位待第二轮投票产生。") % {
                "election": election, "n": round_number, "elected": elected if winners else "—"}
    return _tell(election, users, K.ELECTION_RESULT, _("推选结果"), body, f"result{round_number}")
