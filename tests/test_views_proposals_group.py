"""My group, the review queue and council meetings (应到/实到, attendance, minutes, agenda)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from councils.models import Meeting
from councils.services import meeting_record
from proposals.models import AgendaItem
from tests.factories import backdate_memberships, group_adopt, make_proposal, to_group_review, to_notice
from tests.test_views_proposals_support import *  # noqa: F403
from tests.test_views_proposals_support import (
    HUGE_TEXT,
    SCRIPT,
    as_user,
    assert_login_redirect,
    objection,
    open_group_ballot,
    queries_of,
    text_of,
    url,
)

pytestmark = pytest.mark.django_db


def local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def seated(world):
    """Memberships that began well before the meetings the tests record."""
    backdate_memberships(world)
    return world


def record(world, *, present=4, minutes="讨论后门维修", hours_ago=2):
    return meeting_record(council=world.group_council, held_at=timezone.now() - timedelta(hours=hours_ago),
                          attendees=world.group_members[:present], minutes=minutes, actor=world.group_members[0])


# --------------------------------------------------------------------------- my group


def test_my_group_permission_matrix(world, other, stranger, client):
    proposal = to_group_review(world, title="本组议案")
    assert_login_redirect(client.get(url("my_group")))
    assert as_user(client, stranger).get(url("my_group")).status_code == 403
    body = text_of(as_user(client, world.residents[1]).get(url("my_group")))
    assert "本组议案" in body and world.group.name in body
    body = text_of(as_user(client, other.residents[0]).get(url("my_group")))
    assert "本组议案" not in body and url("detail", proposal.pk) not in body


def test_my_group_shows_running_notices_and_meetings(seated, client):
    world = seated
    to_notice(world, title="公示中的决议")
    meeting = record(world)
    body = text_of(as_user(client, world.residents[2]).get(url("my_group")))
    assert "公示中的决议" in body and "还剩" in body
    assert url("meeting_detail", meeting.pk) in body
    assert "应到 5 人，实到 4 人" in body


def test_my_group_escapes_titles(world, client):
    make_proposal(world, title=SCRIPT)
    body = text_of(as_user(client, world.author).get(url("my_group")))
    assert SCRIPT not in body and "&lt;script&gt;" in body


def test_my_group_queries_same_for_one_and_three(seated, client, django_assert_num_queries):
    world = seated
    to_notice(world, title="一")
    record(world, hours_ago=5)
    viewer = as_user(client, world.residents[1])
    viewer.get(url("my_group"))
    n = queries_of(viewer, url("my_group"))
    to_notice(world, title="二")
    to_notice(world, title="三")
    record(world, hours_ago=4)
    record(world, hours_ago=3)
    with django_assert_num_queries(n):
        response = viewer.get(url("my_group"))
    assert text_of(response).count("实到") == 3


# --------------------------------------------------------------------------- review queue


def test_review_queue_permission_matrix(world, other, client):
    proposal = to_group_review(world, title="待议")
    assert_login_redirect(client.get(url("review_queue")))
    response = as_user(client, world.residents[1]).get(url("review_queue"))
    assert response.status_code == 403 and "议事会成员" in text_of(response)
    body = text_of(as_user(client, world.group_members[2]).get(url("review_queue")))
    assert url("detail", proposal.pk) in body
    body = text_of(as_user(client, other.group_members[0]).get(url("review_queue")))
    assert url("detail", proposal.pk) not in body


def test_review_queue_sections(world, client):
    in_review = to_group_review(world, title="议事中")
    voting = to_group_review(world, title="表决中")
    ballot = open_group_ballot(world, voting)
    adopted = to_group_review(world, title="待公示")
    group_adopt(world, adopted)
    noticed, _notice = to_notice(world, title="公示中")
    objection(world, noticed)
    body = text_of(as_user(client, world.group_members[4]).get(url("review_queue")))
    assert url("ballot", ballot.pk) in body and "您还没有投票" in body
    assert "待公示" in body and url("detail", adopted.pk) in body
    assert "1 条异议待答复" in body
    assert url("detail", in_review.pk) in body


def test_review_queue_queries_same_for_one_and_three(world, client, django_assert_num_queries):
    to_notice(world, title="一")
    member = as_user(client, world.group_members[1])
    member.get(url("review_queue"))
    n = queries_of(member, url("review_queue"))
    to_notice(world, title="二")
    p3 = to_group_review(world, title="三")
    open_group_ballot(world, p3)
    with django_assert_num_queries(n):
        member.get(url("review_queue"))


# --------------------------------------------------------------------------- meetings list


def test_meetings_permission_matrix(seated, other, client):
    world = seated
    meeting = record(world)
    assert_login_redirect(client.get(url("meetings")))
    assert as_user(client, world.residents[1]).get(url("meetings")).status_code == 403
    for allowed in (world.group_members[0], world.staff, world.supervisor):
        body = text_of(as_user(client, allowed).get(url("meetings")))
        assert url("meeting_detail", meeting.pk) in body
    body = text_of(as_user(client, other.group_members[0]).get(url("meetings")))
    assert url("meeting_detail", meeting.pk) not in body


def test_meetings_queries_same_for_one_and_three(seated, client, django_assert_num_queries):
    world = seated
    record(world, hours_ago=5)
    member = as_user(client, world.group_members[0])
    member.get(url("meetings"))
    n = queries_of(member, url("meetings"))
    record(world, hours_ago=4)
    record(world, hours_ago=3)
    with django_assert_num_queries(n):
        response = member.get(url("meetings"))
    assert text_of(response).count("5 / 4") == 3


# --------------------------------------------------------------------------- recording a meeting


def test_meeting_new_permission(world, stranger, client):
    assert_login_redirect(client.get(url("meeting_new")))
    response = as_user(client, world.residents[1]).get(url("meeting_new"))
    assert response.status_code == 403 and "记录会议" in text_of(response)
    assert as_user(client, stranger).post(url("meeting_new"), {}).status_code == 403


def test_meeting_new_records_attendance_minutes_and_agenda(seated, client):
    world = seated
    proposal = to_group_review(world)
    member = as_user(client, world.group_members[0])
    page = text_of(member.get(url("meeting_new")))
    assert page.count('name="attendees"') == 5 and url("meeting_new") in page
    held = timezone.now() - timedelta(hours=1)
    response = member.post(url("meeting_new"), {
        "council": world.group_council.pk, "held_at": local(held), "location": "北苑活动室",
        "attendees": [m.pk for m in world.group_members[:4]], "minutes": "讨论后门维修方案，同意发起表决。",
        "agenda": [proposal.pk],
    })
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == url("meeting_detail", meeting.pk)
    assert meeting.expected_count == 5
    assert meeting.attendance.filter(present=True).count() == 4
    assert AgendaItem.objects.get(meeting=meeting).proposal == proposal
    body = text_of(member.get(url("meeting_detail", meeting.pk)))
    assert "北苑活动室" in body and "同意发起表决" in body and proposal.title in body


@pytest.mark.parametrize("case,data", [
    ("future", {"held_at": "future"}),
    ("bad date", {"held_at": "昨天"}),
    ("long minutes", {"minutes": "长" * 20_001}),
    ("empty minutes", {"minutes": "   "}),
    ("long location", {"location": HUGE_TEXT}),
    ("stranger attends", {"attendees": ["stranger"]}),
    ("not a number", {"attendees": ["abc"]}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_meeting_new_bad_input_records_nothing(seated, stranger, client, case, data):
    world = seated
    values = {"council": world.group_council.pk, "held_at": local(timezone.now() - timedelta(hours=1)),
              "minutes": "会议记录", "attendees": [world.group_members[0].pk]}
    values.update(data)
    if values["held_at"] == "future":
        values["held_at"] = local(timezone.now() + timedelta(days=1))
    if values["attendees"] == ["stranger"]:
        values["attendees"] = [stranger.pk]
    response = as_user(client, world.group_members[0]).post(url("meeting_new"), values)
    assert response.status_code in (200, 409), case
    assert "form-errors" in text_of(response) or "field-error" in text_of(response)
    assert not Meeting.objects.exists()


def test_meeting_minutes_markup_escaped(seated, client):
    world = seated
    meeting = record(world, minutes=SCRIPT)
    body = text_of(as_user(client, world.group_members[0]).get(url("meeting_detail", meeting.pk)))
    assert SCRIPT not in body and "&lt;script&gt;" in body


def test_meeting_new_staff_chooses_council_first(seated, other, client):
    world = seated
    staff = as_user(client, world.staff)
    page = text_of(staff.get(url("meeting_new")))
    assert 'name="council"' in page and world.community_council.name in page and world.group_council.name in page
    page = text_of(staff.get(url("meeting_new"), {"council": world.community_council.pk}))
    assert page.count('name="attendees"') == 37
    assert staff.get(url("meeting_new"), {"council": other.group_council.pk}).status_code == 404


# --------------------------------------------------------------------------- meeting page and agenda


def test_meeting_detail_permission_matrix(seated, other, client):
    world = seated
    meeting = record(world)
    assert_login_redirect(client.get(url("meeting_detail", meeting.pk)))
    for allowed in (world.group_members[1], world.residents[1], world.staff, world.supervisor):
        response = as_user(client, allowed).get(url("meeting_detail", meeting.pk))
        assert response.status_code == 200
    body = text_of(response)
    assert "应到" in body and "实到" in body
    # A community-council member (no seat on this group council, not a resident of it): 403.
    response = as_user(client, world.community_members[0]).get(url("meeting_detail", meeting.pk))
    assert response.status_code == 403
    assert as_user(client, other.group_members[0]).get(url("meeting_detail", meeting.pk)).status_code == 404


def test_agenda_add_by_member_and_refusals(seated, other, client):
    world = seated
    meeting = record(world)
    proposal = to_group_review(world)
    member = as_user(client, world.group_members[1])
    assert f'value="{proposal.pk}"' in text_of(member.get(url("meeting_detail", meeting.pk)))
    response = member.post(url("agenda_add", meeting.pk), {"proposal": proposal.pk})
    assert response.status_code == 302
    assert AgendaItem.objects.filter(meeting=meeting, proposal=proposal).count() == 1
    again = member.post(url("agenda_add", meeting.pk), {"proposal": proposal.pk})
    assert again.status_code in (200, 409)
    assert AgendaItem.objects.filter(meeting=meeting).count() == 1
    # A resident reads the meeting but may not change its agenda.
    assert as_user(client, world.residents[1]).post(url("agenda_add", meeting.pk),
                                                    {"proposal": proposal.pk}).status_code == 403
    assert as_user(client, other.group_members[0]).post(url("agenda_add", meeting.pk),
                                                        {"proposal": proposal.pk}).status_code == 404
    client.logout()
    assert_login_redirect(client.post(url("agenda_add", meeting.pk), {"proposal": proposal.pk}))


def test_agenda_add_bad_proposal_is_a_form_error(seated, client):
    world = seated
    meeting = record(world)
    member = as_user(client, world.group_members[1])
    for value in ("abc", "999999", SCRIPT):
        response = member.post(url("agenda_add", meeting.pk), {"proposal": value})
        assert response.status_code == 200 and SCRIPT not in text_of(response)
    assert not AgendaItem.objects.exists()


def test_meeting_detail_queries_same_for_one_and_three_agenda_items(seated, client, django_assert_num_queries):
    world = seated
    meeting = record(world)
    from proposals import services as ps

    first = to_group_review(world, title="一")
    ps.agenda_add(meeting=meeting, proposal=first, actor=world.group_members[0])
    member = as_user(client, world.group_members[0])
    member.get(url("meeting_detail", meeting.pk))
    n = queries_of(member, url("meeting_detail", meeting.pk))
    for title in ("二", "三"):
        ps.agenda_add(meeting=meeting, proposal=to_group_review(world, title=title), actor=world.group_members[0])
    with django_assert_num_queries(n):
        member.get(url("meeting_detail", meeting.pk))
