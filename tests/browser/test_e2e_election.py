"""An election in the browser, from nomination to the printed results notice (R20).

Community staff open the election of a courtyard's council on the workbench and
register four candidates; once voting opens a resident reads the candidates, ticks
three names (large targets), confirms and casts; staff enter a paper ballot with its
box number; the supervisor sees the roll (who voted and how, never what); after the
window staff count, and the results notice prints with its QR code. Screenshots of
the election page, the ballot and the notice land in docs/screenshots/.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from elections import services as es
from elections.models import BallotPaper, Election
from tests.factories import PASSWORD, build_world

from .helpers import log_in, no_horizontal_overflow, screenshot_both

pytestmark = pytest.mark.browser

FMT = "%Y-%m-%dT%H:%M"


def test_election_from_nomination_to_results_notice(people, watch):
    world = build_world(group_seats=5, residents=5, community_seats=3)
    roll = list(world.group_members) + list(world.residents)
    candidates = roll[:4]
    now = timezone.localtime()

    staff = people().new_page()
    log_in(staff, world.staff.username, PASSWORD, next_url="/staff/elections/")
    form = staff.get_by_role("region", name="发起推选")
    form.get_by_label(re.compile(r"^应选人数\W*$")).fill("3")
    form.get_by_label(re.compile(r"^提名截止\W*$")).fill((now + timedelta(days=1)).strftime(FMT))
    form.get_by_label(re.compile(r"^投票开始\W*$")).fill((now + timedelta(days=2)).strftime(FMT))
    form.get_by_label(re.compile(r"^投票截止\W*$")).fill((now + timedelta(days=3)).strftime(FMT))
    form.get_by_role("button", name="发起推选").click()
    expect(staff.get_by_text("推选已发起")).to_be_visible()
    election = Election.objects.get()
    for person in candidates:
        staff.get_by_label(re.compile(r"^候选人账号（登录名或手机号）\W*$")).fill(person.username)
        staff.get_by_role("button", name="登记为候选人").click()
        expect(staff.get_by_text("候选人已登记。")).to_be_visible()
    assert election.candidates.count() == 4

    with time_machine.travel(election.opens_at + timedelta(hours=1), tick=True):
        voter = people(viewport={"width": 390, "height": 844}).new_page()
        log_in(voter, world.residents[4].username, PASSWORD, next_url=f"/elections/{election.pk}/")
        expect(voter.get_by_role("heading", name="候选人")).to_be_visible()
        screenshot_both(voter, "election")
        voter.get_by_role("link", name="去投票").click()
        for person in candidates[:3]:
            voter.get_by_label(person.display_name, exact=True).check()
        assert no_horizontal_overflow(voter)
        screenshot_both(voter, "election-ballot")
        voter.get_by_role("button", name="下一步：确认").click()
        expect(voter.get_by_text("确定投出吗？投出后不能更改。")).to_be_visible()
        voter.get_by_role("button", name="确定投票").click()
        expect(voter.get_by_text("您的选票已投出。")).to_be_visible()
        expect(voter.get_by_text("已投票 1 人，选民 10 人（10%）")).to_be_visible()

        staff.goto(f"/staff/elections/{election.pk}/")
        staff.get_by_label(re.compile(r"^选民账号（登录名或手机号）\W*$")).fill(world.residents[3].username)
        staff.get_by_label(re.compile(r"^票箱号\W*$")).fill("2")
        paper = staff.get_by_role("region", name="录入纸质选票")
        for person in candidates[1:4]:
            paper.get_by_label(person.display_name, exact=True).check()
        paper.get_by_role("button", name="录入").click()
        expect(staff.get_by_text("纸质选票已录入")).to_be_visible()
        # The rest vote through the service (the page flow is the same).
        for person in roll[:4]:
            es.election_ballot_cast(election=election, voter=person, choices=candidates[:3])

        supervisor = people().new_page()
        log_in(supervisor, world.supervisor.username, PASSWORD, next_url=f"/elections/{election.pk}/roll/")
        row = supervisor.get_by_role("row", name=re.compile(world.residents[3].display_name))
        expect(row).to_contain_text("纸质选票")
        expect(row).to_contain_text("2")
        # No page shows a count of votes while voting is open.
        supervisor.goto(f"/elections/{election.pk}/")
        expect(supervisor.get_by_role("region", name="投票结果")).to_have_count(0)

    assert BallotPaper.objects.count() == 6
    with time_machine.travel(election.closes_at + timedelta(hours=1), tick=True):
        staff.goto(f"/staff/elections/{election.pk}/")
        staff.get_by_role("button", name="计票并公布结果").click()
        expect(staff.get_by_text("已计票。")).to_be_visible()
        staff.goto(f"/elections/{election.pk}/")
        results = staff.get_by_role("region", name="投票结果")
        expect(results).to_contain_text("选民 10 人，投票 6 人（60%）")
        expect(results).to_contain_text("本轮有效")
        staff.get_by_role("link", name="结果公告（A4）").click()
        expect(staff.get_by_role("heading", name=re.compile("推选结果"))).to_be_visible()
        expect(staff.get_by_role("img", name=re.compile(rf"elections\W{election.pk}\W"))).to_be_visible()
        screenshot_both(staff, "election-notice")
    election.refresh_from_db()
    assert election.status == "completed"
    watch.assert_clean()
