"""A need from raising to a rated service, done in the browser by the people who do it (三社联动)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from needs.enums import ProjectStatus
from needs.models import Need, ServiceRating
from tests.factories import PASSWORD, build_world
from tests.sanshe_support import organisation

from .helpers import PHONE, log_in, no_horizontal_overflow, screenshot_both, wait_htmx_idle


@pytest.mark.browser
def test_story_need_from_raising_to_a_rated_service(people, watch):
    world = build_world(community_seats=3)
    org = organisation(world, "睦林长者互助社")
    raiser, neighbour = world.residents[0], world.residents[1]
    today = timezone.localdate().isoformat()

    # A resident raises a need on her phone: a category, a few words, send.
    resident_page = people(viewport=PHONE).new_page()
    log_in(resident_page, raiser.username, PASSWORD, next_url="/needs/new/")
    resident_page.get_by_label("养老助老").check()
    resident_page.get_by_label("说说您的需要").fill("院里独居老人中午吃饭难，希望有个老年食堂。")
    resident_page.get_by_role("button", name="提交需求").click()
    expect(resident_page.get_by_text("需求已提交")).to_be_visible()
    need = Need.objects.get()

    # A neighbour says “我也需要” (htmx swaps the button for the count).
    neighbour_page = people(viewport=PHONE).new_page()
    log_in(neighbour_page, neighbour.username, PASSWORD, next_url="/needs/")
    neighbour_page.get_by_role("button", name="我也需要").click()
    wait_htmx_idle(neighbour_page)
    expect(neighbour_page.get_by_text("1 人也需要")).to_be_visible()
    expect(neighbour_page.get_by_text(raiser.full_name)).to_have_count(0)  # never the raiser's name
    assert no_horizontal_overflow(neighbour_page)
    screenshot_both(neighbour_page, "needs-ledger")

    # Community staff turn the need into a service project.
    staff_page = people().new_page()
    log_in(staff_page, world.staff.username, PASSWORD, next_url="/needs/staff/")
    staff_page.get_by_text("把需求列成服务项目", exact=True).click()
    staff_page.get_by_label(re.compile(f"#{need.pk} ")).check()
    staff_page.get_by_label("项目名称").fill("长寿食坊")
    staff_page.get_by_label("项目内容").fill("平价午餐，行动不便的送餐上门")
    staff_page.get_by_label("计划服务人数").fill("40")
    staff_page.get_by_label("开始日期").fill(today)
    staff_page.get_by_label("结束日期").fill(today)
    staff_page.get_by_role("button", name="列入项目清单").click()
    expect(staff_page.get_by_role("heading", name="长寿食坊")).to_be_visible()
    project_url = staff_page.url

    # The organisation claims it with a plan; staff confirm.
    org_page = people().new_page()
    log_in(org_page, org.admin.username, PASSWORD, next_url=re.sub(r"^https?://[^/]+", "", project_url))
    org_page.get_by_label("服务计划").fill("互助社志愿者每天中午供餐")
    org_page.get_by_role("button", name="认领这个项目").click()
    expect(org_page.get_by_text("已提交认领")).to_be_visible()
    staff_page.reload()
    staff_page.get_by_role("button", name="确认由它认领").click()
    expect(staff_page.get_by_text("已确认由睦林长者互助社认领")).to_be_visible()

    # The organisation records a day's service and completes the project with a report.
    org_page.reload()
    org_page.get_by_label("服务日期").fill(today)
    org_page.get_by_label("服务人次").fill("32")
    org_page.get_by_label("服务时长（小时）").fill("3.5")
    org_page.get_by_label("志愿者人数").fill("4")
    org_page.get_by_role("button", name="记录", exact=True).click()
    expect(org_page.get_by_text("服务已记录")).to_be_visible()
    org_page.get_by_label("完成报告").fill("供餐 32 人次，老人很满意。")
    org_page.get_by_role("button", name="项目完成").click()
    expect(org_page.get_by_text("项目已完成")).to_be_visible()
    screenshot_both(org_page, "service-project")

    # The resident follows her need and rates the service.
    resident_page.goto("/needs/mine/")
    expect(resident_page.get_by_text("已解决")).to_be_visible()
    resident_page.get_by_label("★★★★★", exact=True).check()
    resident_page.get_by_role("button", name="评价服务").click()
    expect(resident_page.get_by_text("谢谢您的评价")).to_be_visible()
    assert ServiceRating.objects.get(resident=raiser).stars == 5
    assert need.__class__.objects.get(pk=need.pk).project.status == ProjectStatus.COMPLETED
    watch.assert_clean()
