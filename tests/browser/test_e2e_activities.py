"""An activity from publishing to sign-up to check-in, in the browser (R25): the organisation publishes,
a resident signs up in one tap on a 360 px phone with large text, scans the door QR and checks in;
another resident is checked in from the list; the project page counts both as people served."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from needs import activities as acts
from needs.models import Activity, Signup
from tests.factories import PASSWORD, build_world
from tests.sanshe_support import claimed_project

from .helpers import SCREENSHOTS, log_in, no_horizontal_overflow, overflowing_elements

NARROW = {"width": 360, "height": 780}


def _large_text(page):
    button = page.get_by_role("button", name=re.compile("大字"))
    if button.get_attribute("aria-pressed") != "true":
        button.click()
        expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert no_horizontal_overflow(page), overflowing_elements(page)
    path = SCREENSHOTS / f"{name}-360.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000


@pytest.mark.browser
def test_activity_from_publishing_to_signup_to_checkin(people, watch):
    world = build_world(community_seats=3)
    project, org = claimed_project(world)
    first, second = world.residents[0], world.residents[1]

    # The organisation's admin publishes an activity starting in half an hour (check-in is open).
    org_page = people().new_page()
    log_in(org_page, org.admin.username, PASSWORD, next_url=f"/service-projects/{project.pk}/activities/")
    starts = timezone.localtime(timezone.now() + timedelta(minutes=30))
    org_page.get_by_label("活动名称").fill("长者健康讲座")
    org_page.get_by_label("开始时间").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    org_page.get_by_label("地点").fill("院坝活动室")
    org_page.get_by_label("名额").fill("2")
    org_page.get_by_role("button", name="发布", exact=True).click()
    expect(org_page.get_by_text("活动已发布")).to_be_visible()
    activity = Activity.objects.get()

    # A resident on a small phone, large text on: the calendar, the activity, one tap.
    phone = people(viewport=NARROW).new_page()
    log_in(phone, first.username, PASSWORD, next_url=f"/activities/?community={world.community.slug}")
    _large_text(phone)
    expect(phone.get_by_text("余 2 个名额")).to_be_visible()
    _shot(phone, "activity-calendar")
    phone.get_by_role("link", name="长者健康讲座").click()
    phone.get_by_role("button", name="我要报名").click()
    expect(phone.get_by_text("报名成功")).to_be_visible()
    _shot(phone, "activity-signed-up")
    phone.goto("/activities/mine/")
    expect(phone.get_by_role("link", name="长者健康讲座")).to_be_visible()
    _shot(phone, "activity-mine")

    # A second resident signs up too: the activity is now full.
    other = people(viewport=NARROW).new_page()
    log_in(other, second.username, PASSWORD, next_url=f"/activities/{activity.pk}/")
    other.get_by_role("button", name="我要报名").click()
    expect(other.get_by_text("报名成功")).to_be_visible()
    assert Signup.objects.filter(activity=activity, status="signed_up").count() == 2

    # The door sheet carries the QR; the first resident scans it and checks in herself.
    org_page.goto(f"/activities/{activity.pk}/door/")
    expect(org_page.locator("svg.qr")).to_be_visible()
    token = acts.checkin_token(activity)
    phone.goto(f"/activities/checkin/{token}/")
    phone.get_by_role("button", name="签到").click()
    expect(phone.get_by_text("签到成功")).to_be_visible()

    # The organisation checks the second resident in from the list.
    org_page.goto(f"/activities/{activity.pk}/roster/")
    org_page.get_by_role("button", name="签到").click()
    expect(org_page.get_by_text(f"{second.display_name}已签到")).to_be_visible()
    org_page.set_viewport_size(NARROW)
    _shot(org_page, "activity-roster")

    assert Signup.objects.filter(activity=activity, checked_in_at__isnull=False).count() == 2
    phone.goto(f"/service-projects/{project.pk}/")
    expect(phone.get_by_text("长者健康讲座")).to_be_visible()
    assert acts.people_served(project) == 2
    watch.assert_clean()
