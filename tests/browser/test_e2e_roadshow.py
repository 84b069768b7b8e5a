"""路演 in the browser: at the community council's meeting a member records the group's
presentation and a question with its answer; the councillor's ballot page shows it first."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from councils.services import meeting_record
from proposals import services as ps
from tests.factories import PASSWORD, build_world, to_submitted

from .helpers import log_in, screenshot_both

pytestmark = pytest.mark.browser


def test_roadshow_from_meeting_to_councillors_ballot_page(people, watch):
    world = build_world(group_seats=5, community_seats=5, residents=3)
    proposal = to_submitted(world)
    meeting = meeting_record(council=world.community_council, held_at=timezone.now() - timedelta(hours=1),
                             attendees=world.community_members, minutes="社区议事会例会", actor=world.staff)
    ps.agenda_add(meeting=meeting, proposal=proposal, actor=world.staff)
    member = world.community_members[0]

    page = people().new_page()
    log_in(page, member.username, PASSWORD, next_url=f"/council/meetings/{meeting.pk}/")
    page.get_by_text("记录小组路演").click()
    page.get_by_label(re.compile(r"^介绍人账号")).fill(world.group_members[0].username)
    page.get_by_role("textbox", name="项目介绍", exact=True).fill("修后门和消防通道，解决夜间安全问题。")
    page.get_by_role("textbox", name="自筹资金来源", exact=True).fill("每户 100 元，已有 40 户认缴。")
    page.get_by_role("button", name="保存路演").click()
    expect(page.get_by_text("路演已记录。")).to_be_visible()
    page.get_by_text("记录提问和回答").click()
    page.get_by_label(re.compile(r"^提问的议事会成员")).select_option(label=world.community_members[1].display_name)
    page.get_by_role("textbox", name="提问", exact=True).fill("施工期间怎么通行？")
    page.get_by_role("textbox", name="回答", exact=True).fill("走正门，分段施工。")
    page.get_by_role("button", name="保存提问").click()
    expect(page.get_by_text("提问和回答已记录。")).to_be_visible()

    ballot = ps.community_ballot_open(proposal=proposal, actor=world.staff,
                                      closes_at=timezone.now() + timedelta(days=3))
    page.goto(f"/ballots/{ballot.pk}/")
    roadshow = page.get_by_role("region", name="小组路演")
    expect(roadshow).to_contain_text("每户 100 元")
    expect(roadshow).to_contain_text("施工期间怎么通行？")
    expect(roadshow).to_contain_text("走正门，分段施工。")
    # The presentation comes before the vote.
    top_roadshow = roadshow.bounding_box()["y"]
    top_vote = page.get_by_role("region", name="表决", exact=True).bounding_box()["y"]
    assert top_roadshow < top_vote
    screenshot_both(page, "roadshow-ballot")
    watch.assert_clean()
