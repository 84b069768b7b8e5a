"""Explain before the click (issue 10, findings 7 and 8): a ballot's close button is shown disabled,
with the reason beside it, while the result can still change; the tally counts a vote at once."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from proposals import services as ps
from tests.factories import BACK_GATE_LINES
from tests.funding_support import drive_to_notice, old_world


def _group_ballot(world):
    p = ps.proposal_create(author=world.author, group=world.group, title="北苑后门维修", summary="x",
                           lines=BACK_GATE_LINES, community_share="18000")
    ps.proposal_submit(proposal=p, actor=world.author)
    return ps.group_ballot_open(proposal=p, actor=world.group_members[0],
                                closes_at=timezone.now() + timedelta(days=2))


def test_r7_close_button_disabled_with_the_reason_while_the_result_can_change(client, world):
    ballot = _group_ballot(world)
    chair = world.group_members[0]
    client.force_login(chair)
    page = reverse("proposals:ballot", args=[ballot.pk])
    body = client.get(page).content.decode()
    assert 'disabled aria-describedby="close-why"' in body
    assert "现在还不能结束：还有 5 人未投票，结果还可能改变" in body
    assert f'action="{reverse("proposals:ballot_close", args=[ballot.pk])}"' not in body
    for member in world.group_members[:3]:  # 3 of 5: the majority is reached, nothing can change it
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    body = client.get(page).content.decode()
    assert 'id="close-why"' not in body
    assert f'action="{reverse("proposals:ballot_close", args=[ballot.pk])}"' in body


def test_r7_staff_home_close_button_disabled_until_the_result_is_settled(client, db):
    world = old_world()  # residents since before the notice ran
    p = drive_to_notice(world)
    ps.proposal_submit_to_community(proposal=p, actor=world.group_members[0])
    ballot = ps.community_ballot_open(proposal=p, actor=world.staff, closes_at=timezone.now() + timedelta(days=3))
    client.force_login(world.staff)
    body = client.get(reverse("councils:staff_home")).content.decode()
    assert f'disabled aria-describedby="close-why-{ballot.pk}"' in body
    assert "还有 37 人未投票" in body
    english = client.get(reverse("councils:staff_home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Cannot end yet: 37 members have not voted" in english
    for member in world.community_members[:25]:  # 25 of 37: two thirds of all members
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    body = client.get(reverse("councils:staff_home")).content.decode()
    assert f"close-why-{ballot.pk}" not in body
    assert f'action="{reverse("councils:ballot_close", args=[ballot.pk])}"' in body


def test_r7_tally_is_refreshed_right_after_a_vote(client, world):
    ballot = _group_ballot(world)
    voter = world.group_members[1]
    client.force_login(voter)
    response = client.post(reverse("proposals:vote", args=[ballot.pk]), {"choice": "approve", "confirm": "1"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Trigger"] == "ballot-voted"
    page = client.get(reverse("proposals:ballot", args=[ballot.pk])).content.decode()
    assert 'hx-trigger="every 5s, ballot-voted from:body"' in page
    tally = client.get(reverse("proposals:ballot_tally", args=[ballot.pk])).content.decode()
    assert "已投票 1 人，未投票 4 人" in tally


def test_r7_close_button_follows_the_polled_tally(client, world):
    ballot = _group_ballot(world)
    client.force_login(world.group_members[0])
    tally = reverse("proposals:ballot_tally", args=[ballot.pk])
    body = client.get(tally, headers={"HX-Request": "true"}).content.decode()
    assert 'id="ballot-close" hx-swap-oob="true"' in body and 'disabled aria-describedby="close-why"' in body
    for member in world.group_members[:3]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    body = client.get(tally, headers={"HX-Request": "true"}).content.decode()
    assert f'action="{reverse("proposals:ballot_close", args=[ballot.pk])}"' in body
