from datetime import timedelta

import time_machine
from django.utils import timezone

from proposals import services as ps
from proposals.enums import ProposalStatus as S
from tests.factories import BACK_GATE_LINES


def test_proposal_reaches_approved_through_the_public_api(world):
    p = ps.proposal_create(
        author=world.author, group=world.group, title="北苑后门维修", summary="修后门、消防通道和围墙防盗刺",
        lines=BACK_GATE_LINES, community_share="18000",
    )
    assert p.total == 36000 and p.self_raised_share == 18000
    ps.proposal_submit(proposal=p, actor=world.author)
    ballot = ps.group_ballot_open(proposal=p, actor=world.group_members[0],
                                  closes_at=timezone.now() + timedelta(days=2))
    for m in world.group_members[:3]:
        ps.vote_cast(ballot=ballot, voter=m, choice="approve")
    ps.ballot_close(ballot=ballot, actor=world.group_members[0])
    p.refresh_from_db()
    assert p.status == S.ADOPTED
    notice = ps.notice_publish(proposal=p, actor=world.group_members[0])
    with time_machine.travel(notice.ends_at + timedelta(seconds=1)):
        ps.proposal_submit_to_community(proposal=p, actor=world.group_members[0])
        cb = ps.community_ballot_open(proposal=p, actor=world.staff, closes_at=timezone.now() + timedelta(days=3))
        for m in world.community_members[:25]:
            ps.vote_cast(ballot=cb, voter=m, choice="approve")
        ps.ballot_close(ballot=cb, actor=world.staff)
    p.refresh_from_db()
    assert p.status == S.APPROVED
    assert [e.kind for e in p.events.order_by("seq")][:3] == ["created", "submitted", "ballot_opened"]
