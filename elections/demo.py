"""The demo world's elections and a roadshow, built through the services with the clock moved
to when each step happened (``DemoBuilder.at``), called once from ``portal.demo``.

- 北苑小区's last election (December before the case year): 24 on the roll, 19 voted (4 on
  paper), the 5 sitting members elected from 7 candidates; the results notice is printable.
- 南苑小区's election in progress: the first round elected 3 of 5 and sent 4 candidates to a
  runoff for the 2 seats left; the runoff is open now (some have voted, ``nanyuan_06`` not yet).
- 路演 of 南苑单元门禁维修 (now in its community vote) at the community council's meeting,
  with two councillors' questions and the group's answers.

Idempotent: an election of a council, or a recorded roadshow, that exists is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from councils.models import User
from proposals import services as ps
from proposals.models import AgendaItem, Proposal

from . import services as es
from .models import Election

PAPER_BOX = "1"


def _ballots(voters: list[User], candidates: list[User], votes: list[int], seats: int) -> list[tuple]:
    """Spread ``votes[i]`` marks for ``candidates[i]`` over ``voters``, at most ``seats`` each."""
    marks: list[list[User]] = [[] for _ in voters]
    for candidate, count in zip(candidates, votes, strict=True):
        order = sorted(range(len(voters)), key=lambda n: (len(marks[n]), n))
        chosen = [n for n in order if len(marks[n]) < seats][:count]
        assert len(chosen) == count, "more marks than the ballots can hold"
        for n in chosen:
            marks[n].append(candidate)
    return list(zip(voters, marks, strict=True))


def _vote(b, election, ballots, start, *, paper: int = 0) -> None:
    """Cast ``ballots`` from ``start`` on, 40 minutes apart; the last ``paper`` entered by staff."""
    staff = election.opened_by
    for n, (voter, choices) in enumerate(ballots):
        with b.at(start + timedelta(minutes=40 * n)):
            if n >= len(ballots) - paper:
                es.election_paper_ballot(election=election, voter=voter, choices=choices, actor=staff, box=PAPER_BOX)
            else:
                es.election_ballot_cast(election=election, voter=voter, choices=choices)


def _open_and_nominate(b, *, group: str, staff: User, seats: int, opened, nominations_close, opens_at,
                       closes_at, candidates, statements) -> Election:
    with b.at(opened):
        election = es.election_open(
            target=b.group_councils[group], actor=staff, seats=seats, nominations_close=nominations_close,
            opens_at=opens_at, closes_at=closes_at,
        )
    for n, (person, text) in enumerate(zip(candidates, statements, strict=True)):
        with b.at(opened + timedelta(hours=2 + n)):
            candidate = es.candidate_nominate(election=election, candidate=person, actor=staff)
            es.candidate_statement_set(candidate=candidate, actor=person, statement=text)
    return election


def _beiyuan_last_election(b) -> None:
    council = b.group_councils["beiyuan"]
    if Election.objects.filter(council=council).exists():
        b.report.had("北苑小区议事会推选")
        return
    b.report.did("北苑小区议事会推选")
    start = b.t0 + timedelta(hours=1)
    day = b.t0.date()
    members = b.members["beiyuan"]
    candidates = members[:5] + members[7:9]
    election = _open_and_nominate(
        b, group="beiyuan", staff=b.u("communitystaff"), seats=5, opened=start,
        nominations_close=b._at_local(day + timedelta(days=4), 18),
        opens_at=b._at_local(day + timedelta(days=5), 8), closes_at=b._at_local(day + timedelta(days=7), 18),
        candidates=candidates,
        statements=[
            "在北苑住了三十年，愿意继续为院落跑腿，先把后门和消防通道的事办好。",
            "退休前做过工程，能帮大家看预算、盯施工质量。",
            "多听老年人的意见，楼道扶手、休息座椅这些小事要落实。",
            "账目公开，每一笔自筹资金都贴在公示栏。",
            "年轻人白天上班，我负责晚上和周末收集大家的意见。",
            "希望院落的停车和充电问题有个长久办法。",
            "愿意为院落的绿化和卫生出力。",
        ],
    )
    voters = members[:19]
    ballots = _ballots(voters, candidates, [17, 15, 14, 12, 11, 7, 5], seats=5)
    _vote(b, election, ballots, b._at_local(day + timedelta(days=5), 9), paper=4)
    with b.at(election.closes_at + timedelta(minutes=1)):
        es.election_close(election=election)


def _nanyuan_runoff(b) -> None:
    council = b.group_councils["nanyuan"]
    if Election.objects.filter(council=council).exists():
        b.report.had("南苑小区议事会推选")
        return
    b.report.did("南苑小区议事会推选")
    members = b.members["nanyuan"]
    candidates = members[:7]
    election = _open_and_nominate(
        b, group="nanyuan", staff=b.u("communitystaff"), seats=5, opened=b.day(-12, 9),
        nominations_close=b.day(-9, 18), opens_at=b.day(-8, 8), closes_at=b.day(-3, 18),
        candidates=candidates,
        statements=[
            "继续推进单元门禁维修，让单元门关得上。",
            "管好院落的公共收益，每季度公布一次。",
            "组织邻里互助，照顾独居老人。",
            "把楼道声控灯的事办完。",
            "愿意协调物业和居民之间的矛盾。",
            "关注院落停车秩序。",
            "希望多办一些适合孩子的活动。",
        ],
    )
    # First round: 9 of 12 voted; 3 with more than half are elected, 2 seats go to a runoff of 4.
    ballots = _ballots(members[:9], candidates, [8, 7, 6, 4, 4, 3, 2], seats=5)
    _vote(b, election, ballots, b.day(-8, 9), paper=2)
    with b.at(election.closes_at + timedelta(minutes=1)):
        es.election_close(election=election)
    with b.at(b.day(-2, 9)):
        es.election_runoff_open(election=election, actor=b.u("communitystaff"), closes_at=b.day(2, 18))
    election.refresh_from_db()
    runoff = [c.user for c in election.rounds.get(number=2).candidates.order_by("user__full_name")]
    # Some have voted in the runoff; nanyuan_06 (曹建平) has not, to try it.
    early = [members[0], members[1], members[2], members[3]]
    _vote(b, election, [(v, [runoff[n % len(runoff)]]) for n, v in enumerate(early)], b.day(-1, 10))


def _roadshow(b) -> None:
    proposal = Proposal.objects.filter(group=b.groups["nanyuan"], title="南苑单元门禁维修").first()
    if proposal is None or AgendaItem.objects.filter(proposal=proposal, presented_at__isnull=False).exists():
        return
    b.report.did("南苑单元门禁维修路演")
    council = b.community_councils["jinyang"]
    # The council meets in the voting week; most members vote after hearing the group.
    when = b.day(-1, 19)
    meeting = b.meeting(when, council=council, minutes="社区议事会例会：南苑小区介绍单元门禁维修项目（路演），成员提问。",
                        proposals=[proposal], absent=4, location="晋阳社区党群服务中心")
    item = AgendaItem.objects.get(meeting=meeting, proposal=proposal)
    staff = b.u("communitystaff")
    presenter = b.members["nanyuan"][0]
    councillors = b.community_members["jinyang"]
    with b.at(when + timedelta(minutes=100)):
        ps.roadshow_record(
            item=item, actor=staff, presenter=presenter,
            presentation="南苑 6 个单元的门禁主机老化损坏，单元门常开，夜间有陌生人进出。"
                         "项目更换 6 台门禁主机并调试，预计两周完工。",
            self_raised_source="每户自愿出资 60 元，124 户中已有 98 户登记；不足部分由院落公共收益（停车费结余）补足。",
        )
        ps.roadshow_question_record(
            item=item, actor=staff, asked_by=councillors[1], question="门禁卡怎么发放？老人不会用手机开门怎么办？",
            answer="每户免费两张卡，老人可以继续用卡，不强制手机开门。",
        )
        ps.roadshow_question_record(
            item=item, actor=staff, asked_by=councillors[2], question="以后坏了谁来修？",
            answer="保修两年；之后由院落公共收益支付维修费，小组议事会负责联系。",
        )


def seed_elections(builder) -> None:
    """Called by ``portal.demo.DemoBuilder.build`` inside its transaction."""
    _beiyuan_last_election(builder)
    _nanyuan_runoff(builder)
    _roadshow(builder)
