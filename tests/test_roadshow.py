"""路演: the group's presentation of a submitted proposal at a community-council meeting, with
council members' questions and answers; the community ballot page shows it first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from councils.services import meeting_record
from proposals import services as ps
from proposals.models import AgendaItem, Objection, RoadshowQuestion
from tests.factories import build_world, to_community_vote, to_submitted
from yishi.errors import DomainError, InvalidTransition, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world(group_seats=5, community_seats=5, residents=3)


def community_meeting(world):
    meeting = meeting_record(council=world.community_council, held_at=timezone.now() - timedelta(hours=1),
                             attendees=world.community_members, minutes="路演会议", actor=world.staff)
    return meeting


def on_agenda(world, proposal):
    return ps.agenda_add(meeting=community_meeting(world), proposal=proposal, actor=world.staff)


def record(world, item, **kwargs):
    args = {"item": item, "actor": world.staff, "presenter": world.group_members[0],
            "presentation": "后门维修，解决夜间安全问题", "self_raised_source": "每户 100 元，已有 40 户认缴"}
    return ps.roadshow_record(**{**args, **kwargs})


def test_roadshow_recorded_for_submitted_proposal(world):
    item = on_agenda(world, to_submitted(world))
    item = record(world, item)
    assert item.presenter == world.group_members[0] and item.presented_at is not None
    q = ps.roadshow_question_record(item=item, actor=world.staff, asked_by=world.community_members[0],
                                    question="自筹资金什么时候到位？", answer="公示结束后一个月内")
    assert q.answer == "公示结束后一个月内"


def test_roadshow_presenter_must_belong_to_group(world):
    item = on_agenda(world, to_submitted(world))
    with pytest.raises(DomainError, match="介绍人"):
        record(world, item, presenter=world.community_members[0])
    item.refresh_from_db()
    assert item.presented_at is None


def test_roadshow_needs_source_of_money(world):
    item = on_agenda(world, to_submitted(world))
    with pytest.raises(DomainError, match="自筹资金来源"):
        record(world, item, self_raised_source=" ")


def test_roadshow_only_by_council_member_or_staff(world):
    item = on_agenda(world, to_submitted(world))
    with pytest.raises(PermissionDenied):
        record(world, item, actor=world.residents[0])


def test_roadshow_question_needs_presentation_and_council_member(world):
    item = on_agenda(world, to_submitted(world))
    with pytest.raises(DomainError, match="先记录"):
        ps.roadshow_question_record(item=item, actor=world.staff, asked_by=world.community_members[0],
                                    question="问", answer="答")
    record(world, item)
    with pytest.raises(DomainError, match="提问人"):
        ps.roadshow_question_record(item=item, actor=world.staff, asked_by=world.residents[0],
                                    question="问", answer="答")
    assert not RoadshowQuestion.objects.exists()


def test_roadshow_refused_after_community_vote_ends(world):
    proposal, ballot = to_community_vote(world)
    item = on_agenda(world, proposal)
    for member in world.community_members:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    ps.ballot_close(ballot=ballot, actor=None)
    with pytest.raises(InvalidTransition):
        record(world, AgendaItem.objects.get(pk=item.pk))


def test_community_ballot_page_shows_roadshow_first(world, client):
    proposal = to_submitted(world)
    item = on_agenda(world, proposal)
    record(world, item)
    ps.roadshow_question_record(item=item, actor=world.staff, asked_by=world.community_members[1],
                                question="施工期间怎么通行？", answer="走正门，分段施工")
    ballot = ps.community_ballot_open(proposal=proposal, actor=world.staff, closes_at=timezone.now() + timedelta(3))
    client.force_login(world.community_members[0])
    body = client.get(reverse("proposals:ballot", args=[ballot.pk])).content.decode()
    assert "每户 100 元" in body and "施工期间怎么通行" in body and "走正门" in body
    assert body.index('id="roadshow"') < body.index('id="vote-panel"')
    # Owners' views counted from the record: objections filed and answered during the notice.
    assert f"{Objection.objects.filter(notice__proposal=proposal).count()}</strong>" in body


def test_roadshow_selector_queries_fixed(world, django_assert_num_queries):
    from proposals.selectors import roadshow_for

    proposal = to_submitted(world)
    item = on_agenda(world, proposal)
    record(world, item)
    for n in range(3):
        ps.roadshow_question_record(item=item, actor=world.staff, asked_by=world.community_members[n],
                                    question=f"问{n}", answer=f"答{n}")
    with django_assert_num_queries(5):
        data = roadshow_for(proposal)
    assert len(data["questions"]) == 3


def test_meeting_page_records_roadshow(world, client):
    proposal = to_submitted(world)
    item = on_agenda(world, proposal)
    client.force_login(world.community_members[0])
    url = reverse("proposals:roadshow_record", args=[item.pk])
    response = client.post(url, {f"rs{item.pk}-presenter": world.group_members[1].username,
                                 f"rs{item.pk}-presentation": "项目介绍文字",
                                 f"rs{item.pk}-self_raised_source": "居民自筹"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.presenter == world.group_members[1]
    page = client.get(reverse("proposals:meeting_detail", args=[item.meeting_id])).content.decode()
    assert "项目介绍文字" in page
    # A resident of the group may read the meeting, not record a roadshow.
    client.force_login(world.residents[0])
    assert client.post(url, {}).status_code in (403, 404)
